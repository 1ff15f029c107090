"""A local fake of NCMEC's CyberTipline Reporting API, for tests (never a real authority).

Built from the public documentation: ``GET /status``, ``POST /submit`` (report XML),
``/upload`` (multipart ``id`` + ``file``), ``/fileinfo`` (fileDetails XML), ``/finish`` and
``/retract`` (form ``id``), HTTP Basic auth, every answer a ``reportResponse``. Submitted
XML is validated against Safeguard's own ``ncmec.xsd``. Reports are kept in memory with
their state (open, finished, retracted) and files; every request is recorded.

Failures can be injected: ``fail`` (endpoint -> HTTP status of its next answers),
``fail_upload`` (Nth upload, from 1 -> HTTP status), ``delay`` (endpoint -> seconds slept
before answering, to outlast a client's timeout; the request is still carried out),
``hang`` (endpoint -> seconds slept, after which the request is dropped, not carried
out) and ``response_code`` (endpoint -> a nonzero responseCode answered with HTTP 200).

Response codes of the fake: 0 success, 1000 server error, 1100 not authorised,
2000 no such open report or file, 4100 XML invalid against the schema.
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import hashlib
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from safeguard.reporting.ncmec import schema

USERNAME = "fake-esp"
PASSWORD = "fake-password"  # a test value of the fake server, not a credential


@dataclass
class Received:
    """One request as the fake saw it."""

    method: str
    path: str
    authorized: bool
    content_type: str
    body: bytes


@dataclass
class FakeFile:
    file_id: str
    name: str
    md5: str
    size: int
    details: str | None = None  # the fileDetails XML, once sent


@dataclass
class FakeReport:
    report_id: str
    xml: str
    state: str = "open"  # open, finished, retracted
    files: dict[str, FakeFile] = field(default_factory=dict)


@dataclass
class FakeNcmec:
    """The fake's state and its knobs; ``url`` once started."""

    username: str = USERNAME
    password: str = PASSWORD
    reports: dict[str, FakeReport] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)
    fail_upload: dict[int, int] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    hang: dict[str, float] = field(default_factory=dict)
    response_code: dict[str, int] = field(default_factory=dict)
    url: str = ""
    uploads: int = 0
    _next_report: int = 1000
    _next_file: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    # -- handling (called by the request handler, under the lock) -------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str]:
        authorized = headers.get("authorization", "") == _basic(self.username, self.password)
        content_type = headers.get("content-type", "")
        endpoint = path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            self.received.append(Received(method, path, authorized, content_type, body))
            if not authorized:
                return 401, ""
            if endpoint == "upload":
                self.uploads += 1
                status = self.fail_upload.get(self.uploads)
                if status is not None:
                    return status, _answer(1000, "Server Error")
            if endpoint in self.fail:
                return self.fail[endpoint], _answer(1000, "Server Error")
            if endpoint in self.response_code:
                return 200, _answer(self.response_code[endpoint], "Injected failure")
            expected = "GET" if endpoint == "status" else "POST"
            handler = getattr(self, f"_{endpoint}", None)
            if handler is None or method != expected:
                return 404, ""
            answer: tuple[int, str] = handler(content_type, body)
            return answer

    def _status(self, content_type: str, body: bytes) -> tuple[int, str]:
        return 200, _answer(0, f"Remote User : {self.username}")

    def _submit(self, content_type: str, body: bytes) -> tuple[int, str]:
        problem = _invalid(body, "report")
        if problem:
            return 200, _answer(4100, problem)
        report_id = str(self._next_report)
        self._next_report += 1
        self.reports[report_id] = FakeReport(report_id, body.decode("utf-8"))
        return 200, _answer(0, "Success", reportId=report_id)

    def _upload(self, content_type: str, body: bytes) -> tuple[int, str]:
        fields = _multipart(content_type, body)
        report = self._open(fields.get("id", (None, b""))[1].decode())
        if report is None or "file" not in fields:
            return 200, _answer(2000, "No such open report, or no file")
        name, content = fields["file"]
        file_id = f"file-{self._next_file}"
        self._next_file += 1
        md5 = hashlib.md5(content).hexdigest()
        report.files[file_id] = FakeFile(file_id, name or "", md5, len(content))
        return 200, _answer(0, "Success", reportId=report.report_id, fileId=file_id, hash=md5)

    def _fileinfo(self, content_type: str, body: bytes) -> tuple[int, str]:
        problem = _invalid(body, "fileDetails")
        if problem:
            return 200, _answer(4100, problem)
        root = ET.fromstring(body)
        report = self._open(root.findtext("reportId") or "")
        file = report.files.get(root.findtext("fileId") or "") if report else None
        if report is None or file is None:
            return 200, _answer(2000, "No such file in an open report")
        file.details = body.decode("utf-8")
        return 200, _answer(0, "Success")

    def _finish(self, content_type: str, body: bytes) -> tuple[int, str]:
        report = self._open(_form_id(body))
        if report is None:
            return 200, _answer(2000, "No such open report")
        report.state = "finished"
        return 200, _answer(0, "Success", reportId=report.report_id, files=list(report.files))

    def _retract(self, content_type: str, body: bytes) -> tuple[int, str]:
        report = self._open(_form_id(body))
        if report is None:
            return 200, _answer(2000, "No such open report")
        report.state = "retracted"
        return 200, _answer(0, "Success")

    def _open(self, report_id: str) -> FakeReport | None:
        report = self.reports.get(report_id)
        return report if report is not None and report.state == "open" else None


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _answer(code: int, description: str, files: list[str] | None = None, **values: str) -> str:
    root = ET.Element("reportResponse")
    ET.SubElement(root, "responseCode").text = str(code)
    ET.SubElement(root, "responseDescription").text = description
    for tag in ("reportId", "fileId", "hash"):
        if tag in values:
            ET.SubElement(root, tag).text = values[tag]
    if files is not None:
        listed = ET.SubElement(root, "files")
        for file_id in files:
            ET.SubElement(listed, "fileId").text = file_id
    xml = ET.tostring(root, encoding="unicode")
    schema().validate(xml)  # the fake answers only what the schema allows
    return xml


def _invalid(body: bytes, root: str) -> str | None:
    try:
        element = ET.fromstring(body)
    except ET.ParseError as exc:
        return f"not well-formed: {exc}"
    if element.tag != root:
        return f"expected <{root}>"
    error = next(iter(schema().iter_errors(body.decode("utf-8"))), None)
    return None if error is None else f"{error.path}: {error.reason}"


def _form_id(body: bytes) -> str:
    return parse_qs(body.decode("utf-8")).get("id", [""])[0]


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """name -> (file name, bytes) of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = (part.get_filename(), payload)
    return fields


def _handler(fake: FakeNcmec) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            endpoint = self.path.rstrip("/").rsplit("/", 1)[-1]
            pause = fake.delay.get(endpoint, 0.0)
            if pause:
                time.sleep(pause)
            if endpoint in fake.hang:  # never processed: the client times out
                time.sleep(fake.hang[endpoint])
                status, xml = 504, ""
            else:
                status, xml = fake.handle(self.command, self.path, headers, body)
            data = xml.encode("utf-8")
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="CyberTipline"')
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)  # unless the client gave up (a timeout test)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running(fake: FakeNcmec | None = None) -> Iterator[FakeNcmec]:
    """Serve ``fake`` on 127.0.0.1 (a free port) under ``/ispws`` while the block runs."""
    fake = fake or FakeNcmec()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/ispws"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
