#!/usr/bin/env python3
"""Prints a stored secret as server/core/secrets.c writes it (v1:<key id>:<base64(nonce |
ciphertext | tag)>, AES-256-GCM, bound to kind/ns/owner/field), for tests that must put a
secret into a row without the API. Usage: check_secret.py KEYID KEY_B64 NS OWNER FIELD VALUE"""
import base64
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

key_id, key_b64, ns, owner, field, value = sys.argv[1:7]
aad = b"".join(struct.pack(">I", len(m.encode())) + m.encode()
               for m in ("v1", "connector", ns, owner, field))
nonce = os.urandom(12)
sealed = AESGCM(base64.b64decode(key_b64)).encrypt(nonce, value.encode(), aad)
print("v1:%s:%s" % (key_id, base64.b64encode(nonce + sealed).decode()))
