"""The evidence vault: the one place uploaded content may be kept, encrypted.

``keys`` holds the AES-256-GCM keyring (from a key file or an environment variable),
``vault`` stores, reads, holds and purges evidence objects, logging every access. Without
a configured key the vault is off and no content is kept. See docs/evidence.md.
"""
