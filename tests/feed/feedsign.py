#!/usr/bin/python3
"""An independent signer of revocation feeds (DESIGN.md section 6a) for the
feed tier: python3's `cryptography` package, its own base64url and its own
r||s encoding, none of delegate's code.

  feedsign.py KEY.pem ID VER TTL [options]
      prints the compact JWS {"alg": EdDSA|ES256 (from the key), "typ":
      "dlg-feed+jwt"} over {"iss": ID, "ver": VER, "iat": now, "exp": now +
      TTL, "revoke": {...}}.
  options:
      --tickets a,b      revoke.tickets ids (until: exp + 3600); @FILE: from FILE
      --actors a,b       revoke.actors
      --principals a,b   revoke.principals
      --issued-before T  revoke.issued_before (seconds)
      --iat T            iat instead of now
      --alg ALG          the header's alg whatever the key (a key mismatch)
      --payload JSON     this payload text exactly (ID, VER, TTL ignored)
Exit 2 on a usage or setup error.
"""
import base64
import json
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def names(text):
    if text and text.startswith("@"):
        with open(text[1:]) as f:
            text = f.read().strip()
    return [n for n in text.split(",") if n] if text else []


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    key_file, feed_id, ver, ttl = argv[1], argv[2], int(argv[3]), int(argv[4])
    opts = {}
    rest = argv[5:]
    while rest:
        if len(rest) < 2 or not rest[0].startswith("--"):
            print("feedsign.py: bad option list", file=sys.stderr)
            return 2
        opts[rest[0][2:]] = rest[1]
        rest = rest[2:]
    with open(key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        alg = "EdDSA"
    elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        alg = "ES256"
    else:
        print("feedsign.py: the key must be Ed25519 or P-256", file=sys.stderr)
        return 2
    iat = int(opts.get("iat", time.time()))
    exp = iat + ttl
    if "payload" in opts:
        payload = opts["payload"]
    else:
        revoke = {"tickets": [{"id": t, "until": exp + 3600} for t in names(opts.get("tickets"))],
                  "actors": names(opts.get("actors")),
                  "principals": names(opts.get("principals"))}
        if "issued-before" in opts:
            revoke["issued_before"] = int(opts["issued-before"])
        payload = json.dumps({"iss": feed_id, "ver": ver, "iat": iat, "exp": exp,
                              "revoke": revoke}, separators=(",", ":"))
    header = json.dumps({"alg": opts.get("alg", alg), "typ": "dlg-feed+jwt"},
                        separators=(",", ":"))
    signing_input = (b64url(header.encode()) + "." + b64url(payload.encode())).encode("ascii")
    if alg == "EdDSA":
        sig = key.sign(signing_input)
    else:
        r, s = utils.decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    print(signing_input.decode("ascii") + "." + b64url(sig))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
