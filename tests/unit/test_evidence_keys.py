"""The evidence keyring: the key-file format, where keys come from, rotation, and
decryption that fails loudly for a wrong key, a missing key or moved or altered bytes."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguard.config import Settings
from safeguard.errors import ConfigError, EvidenceKeyError
from safeguard.evidence.keys import Keyring, load_keyring, new_key_line, parse_keys

KEY_A = base64.b64encode(b"a" * 32).decode()
KEY_B = base64.b64encode(b"b" * 32).decode()
ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def settings(tmp_path: Path, **changes: object) -> Settings:
    return replace(Settings.from_env({"SAFEGUARD_DATA_DIR": str(tmp_path)}), **changes)


def test_the_last_key_of_a_file_is_current_and_comments_are_skipped() -> None:
    text = f"# keys of the vault\n\n  old:{KEY_A}  \n# rotated in March\nnew : {KEY_B}\n"
    keyring = parse_keys(text, "keys.txt")
    assert keyring.current_id == "new"
    key_id, blob = keyring.encrypt(b"evidence", evidence_id=ID, part="content")
    assert key_id == "new"
    assert keyring.decrypt(blob, evidence_id=ID, key_id="new", part="content") == b"evidence"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "keys.txt holds no evidence key"),
        ("# only a comment\n", "keys.txt holds no evidence key"),
        (KEY_A, "keys.txt, line 1: expected KEY_ID:BASE64_KEY"),
        (f"a:{KEY_A}\n-bad:{KEY_B}", "keys.txt, line 2: a key id must be 1-64 letters"),
        (f"{'k' * 65}:{KEY_A}", "keys.txt, line 1: a key id must be"),
        (f"a:{KEY_A[:-3]}!==", "keys.txt, line 1: the key is not valid base64"),
        (f"a:{KEY_A[:-3]}é", "keys.txt, line 1: the key is not valid base64"),
        (f"a:{base64.b64encode(b'x' * 16).decode()}", "line 1: key 'a' is 16 bytes, not 32"),
        (f"a:{KEY_A}\n\na:{KEY_B}", "keys.txt, line 3: key id 'a' appears twice"),
    ],
)
def test_a_bad_key_file_is_a_one_line_config_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_keys(text, "keys.txt")
    assert message in raised.value.detail
    assert "\n" not in raised.value.detail
    for key in (KEY_A, KEY_B, KEY_A[:-3]):
        assert key not in raised.value.detail


def test_a_keyring_made_in_code_is_checked_too() -> None:
    with pytest.raises(ConfigError, match="at least one key"):
        Keyring([])
    with pytest.raises(ConfigError, match="appears twice"):
        Keyring([("a", b"a" * 32), ("a", b"b" * 32)])
    with pytest.raises(ConfigError, match="31 bytes"):
        Keyring([("a", b"a" * 31)])


def test_keys_come_from_a_file_or_from_the_named_variable(tmp_path: Path) -> None:
    assert load_keyring(settings(tmp_path), {}) is None
    assert load_keyring(settings(tmp_path), {"SAFEGUARD_EVIDENCE_KEYS": "  "}) is None
    from_env = load_keyring(settings(tmp_path), {"SAFEGUARD_EVIDENCE_KEYS": f"a:{KEY_A},b:{KEY_B}"})
    assert from_env is not None and from_env.current_id == "b"
    renamed = settings(tmp_path, evidence_key_env="VAULT_KEYS")
    assert load_keyring(renamed, {"SAFEGUARD_EVIDENCE_KEYS": f"a:{KEY_A}"}) is None
    from_renamed = load_keyring(renamed, {"VAULT_KEYS": f"a:{KEY_A}\nc:{KEY_B}\n"})
    assert from_renamed is not None and from_renamed.current_id == "c"
    key_file = tmp_path / "keys"
    key_file.write_text(f"file-key:{KEY_A}\n")
    from_file = load_keyring(settings(tmp_path, evidence_key_file=key_file), {})
    assert from_file is not None and from_file.current_id == "file-key"


def test_a_configured_but_broken_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SAFEGUARD_EVIDENCE_KEYS, line 2: key 'b' is 3 bytes"):
        load_keyring(settings(tmp_path), {"SAFEGUARD_EVIDENCE_KEYS": f"a:{KEY_A},b:YWJj"})
    missing = settings(tmp_path, evidence_key_file=tmp_path / "absent")
    with pytest.raises(ConfigError, match=r"cannot read SAFEGUARD_EVIDENCE_KEY_FILE .*absent"):
        load_keyring(missing, {})
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_keyring(settings(tmp_path, evidence_key_file=binary), {})
    key_file = tmp_path / "keys"
    key_file.write_text(f"a:{KEY_A}\n")
    both = settings(tmp_path, evidence_key_file=key_file)
    with pytest.raises(ConfigError, match="not both"):
        load_keyring(both, {"SAFEGUARD_EVIDENCE_KEYS": f"a:{KEY_A}"})


def test_settings_read_the_evidence_variables(tmp_path: Path) -> None:
    env = {
        "SAFEGUARD_DATA_DIR": str(tmp_path),
        "SAFEGUARD_EVIDENCE_KEY_FILE": str(tmp_path / "keys"),
        "SAFEGUARD_EVIDENCE_KEY_ENV": "VAULT_KEYS",
        "SAFEGUARD_EVIDENCE_RETENTION_DAYS": "30",
        "SAFEGUARD_EVIDENCE_HOLD_DAYS": "730",
    }
    read = Settings.from_env(env)
    assert read.evidence_key_file == tmp_path / "keys"
    assert (read.evidence_key_env, read.evidence_retention_days) == ("VAULT_KEYS", 30)
    assert read.evidence_hold_days == 730
    default = Settings.from_env({"SAFEGUARD_DATA_DIR": str(tmp_path)})
    assert default.evidence_key_file is None
    assert default.evidence_key_env == "SAFEGUARD_EVIDENCE_KEYS"
    assert (default.evidence_retention_days, default.evidence_hold_days) == (90, 365)
    with pytest.raises(ConfigError, match="SAFEGUARD_EVIDENCE_HOLD_DAYS must be at least 365"):
        Settings.from_env({**env, "SAFEGUARD_EVIDENCE_HOLD_DAYS": "364"})


def test_an_object_under_an_old_key_decrypts_after_rotation() -> None:
    before = parse_keys(f"2025:{KEY_A}\n", "keys")
    _, old_blob = before.encrypt(b"kept in 2025", evidence_id=ID, part="content")
    after = parse_keys(f"2025:{KEY_A}\n{new_key_line('2026')}\n", "keys")
    assert after.decrypt(old_blob, evidence_id=ID, key_id="2025", part="content") == (
        b"kept in 2025"
    )
    key_id, new_blob = after.encrypt(b"kept in 2026", evidence_id=ID, part="content")
    assert key_id == "2026"
    with pytest.raises(EvidenceKeyError, match="key '2026', which is not in the configured"):
        before.decrypt(new_blob, evidence_id=ID, key_id="2026", part="content")


def test_a_wrong_key_fails_loudly() -> None:
    _, blob = parse_keys(f"k:{KEY_A}", "keys").encrypt(b"x" * 100, evidence_id=ID, part="content")
    impostor = parse_keys(f"k:{KEY_B}", "keys")
    with pytest.raises(EvidenceKeyError, match="does not decrypt with key 'k'"):
        impostor.decrypt(blob, evidence_id=ID, key_id="k", part="content")


@pytest.mark.parametrize(
    "changed",
    [
        {"evidence_id": "another-row"},
        {"part": "details"},
        {"key_id": "k"},  # the same key material under another id
    ],
)
def test_bytes_moved_to_another_row_part_or_key_id_fail(changed: dict[str, str]) -> None:
    keyring = parse_keys(f"k:{KEY_A}\nk2:{KEY_A}", "keys")
    key_id, blob = keyring.encrypt(b"content", evidence_id=ID, part="content")
    where = {"evidence_id": ID, "key_id": key_id, "part": "content"}
    assert keyring.decrypt(blob, **where) == b"content"
    with pytest.raises(EvidenceKeyError, match="altered or moved"):
        keyring.decrypt(blob, **{**where, **changed})


def test_altered_or_truncated_bytes_fail() -> None:
    keyring = parse_keys(f"k:{KEY_A}", "keys")
    _, blob = keyring.encrypt(b"content", evidence_id=ID, part="content")
    for position in (0, 12, len(blob) - 1):  # nonce, ciphertext, tag
        altered = bytearray(blob)
        altered[position] ^= 1
        with pytest.raises(EvidenceKeyError, match="altered"):
            keyring.decrypt(bytes(altered), evidence_id=ID, key_id="k", part="content")
    with pytest.raises(EvidenceKeyError, match="truncated"):
        keyring.decrypt(blob[:27], evidence_id=ID, key_id="k", part="content")


def test_nonces_are_fresh_for_each_encryption() -> None:
    keyring = parse_keys(f"k:{KEY_A}", "keys")
    blobs = {keyring.encrypt(b"same", evidence_id=ID, part="content")[1] for _ in range(50)}
    assert len({blob[:12] for blob in blobs}) == 50


def test_keygen_lines_parse_and_ids_are_checked() -> None:
    line = new_key_line("vault-2026.1")
    assert line.startswith("vault-2026.1:")
    assert parse_keys(line, "keys").current_id == "vault-2026.1"
    assert len(base64.b64decode(line.split(":")[1])) == 32
    assert new_key_line("same") != new_key_line("same")
    assert parse_keys(new_key_line(), "keys").current_id.endswith("Z")
    with pytest.raises(ConfigError, match="a key id must be"):
        new_key_line("no spaces")


@given(
    plaintext=st.binary(max_size=4096),
    evidence_id=st.text(max_size=40),
    part=st.sampled_from(["content", "details"]),
)
def test_what_is_encrypted_decrypts_to_itself(
    plaintext: bytes, evidence_id: str, part: str
) -> None:
    keyring = parse_keys(f"old:{KEY_A}\nnew:{KEY_B}", "keys")
    key_id, blob = keyring.encrypt(plaintext, evidence_id=evidence_id, part=part)
    assert keyring.decrypt(blob, evidence_id=evidence_id, key_id=key_id, part=part) == plaintext
