#!/usr/bin/python3
"""An independent JWS implementation for tests/unit/test_interop.c: python3's
`cryptography` package (OpenSSL underneath, but none of delegate's code: its
own base64url, its own r||s <-> DER, its own PSS parameters).

  interop.py sign ALG PRIVATE.pem HEADER_JSON CLAIMS_JSON [SALT]
      prints the compact JWS over exactly these header and claims texts.
      SALT (PS256 only): "digest" (32, RFC 7518 section 3.5, the default)
      or "max" (the largest salt the key allows: what RFC 7518 forbids).
  interop.py verify ALG PUBLIC.pem TICKET
      exit 0: the signature verifies for ALG (PS256: salt exactly 32);
      exit 1: it does not.

Exit 2 on any usage or setup error.
"""
import base64
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text):
    if "=" in text:
        raise ValueError("padding in base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pss(salt):
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)


def sign(alg, key, data, salt):
    if alg in ("EdDSA", "Ed25519"):
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return key.sign(data)
    if alg == "ES256":
        assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
        r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert isinstance(key, rsa.RSAPrivateKey)
    if alg == "RS256":
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256":
        return key.sign(data, pss(padding.PSS.MAX_LENGTH if salt == "max" else 32), hashes.SHA256())
    raise ValueError("unknown alg " + alg)


def verify(alg, key, data, sig):
    if alg in ("EdDSA", "Ed25519"):
        key.verify(sig, data)
    elif alg == "ES256":
        if len(sig) != 64:
            raise InvalidSignature()
        der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                         int.from_bytes(sig[32:], "big"))
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    elif alg == "RS256":
        key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "PS256":
        key.verify(sig, data, pss(32), hashes.SHA256())
    else:
        raise ValueError("unknown alg " + alg)


def main(argv):
    if len(argv) >= 6 and argv[1] == "sign":
        alg, keyfile, header, claims = argv[2:6]
        salt = argv[6] if len(argv) > 6 else "digest"
        with open(keyfile, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        signing_input = b64url(header.encode()) + "." + b64url(claims.encode())
        sig = sign(alg, key, signing_input.encode("ascii"), salt)
        print(signing_input + "." + b64url(sig))
        return 0
    if len(argv) == 5 and argv[1] == "verify":
        alg, pubfile, ticket = argv[2:5]
        with open(pubfile, "rb") as f:
            key = serialization.load_pem_public_key(f.read())
        head, payload, sig = ticket.split(".")
        try:
            verify(alg, key, (head + "." + payload).encode("ascii"), unb64url(sig))
        except InvalidSignature:
            return 1
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except SystemExit:
        raise
    except Exception as e:  # a setup error is never a verdict
        sys.stderr.write("interop.py: %s\n" % e)
        sys.exit(2)
