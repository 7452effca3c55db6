#!/usr/bin/env python3
"""Independent CI token minter for the exchange tier (python3-cryptography,
never our C signer): provider keys, their JWKS, and GitHub- and
GitLab-shaped OIDC ID tokens with the claims their documentation lists.
Also a stand-in of GitHub's token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL).

  mint.py key   --type rsa|ec --out KEY.pem
  mint.py jwks  KEY.pem=KID [KEY.pem=KID ...]            > jwks.json
  mint.py token --shape github|gitlab --key KEY.pem --kid KID --aud AUD
                [--iss ISS] [--alg RS256|ES256|none|HS256] [--hs-secret FILE]
                [--set CLAIM=VALUE ...] [--int CLAIM=N ...] [--json CLAIM=JSON ...] [--del CLAIM ...]
                [--exp-in S] [--iat-in S] [--nbf-in S] [--jti ID] [--header K=V ...]
  mint.py serve-github --key KEY.pem --kid KID --bearer SECRET --port-file F [--set ...]
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import sys
import time
import urllib.parse
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

GITHUB_ISS = "https://token.actions.githubusercontent.com"
GITLAB_ISS = "https://gitlab.example.test"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return n.to_bytes(size, "big")


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def jwk_of(key, kid):
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": b64(uint(nums.n)), "e": b64(uint(nums.e))}
    nums = pub.public_numbers()
    return {"kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256",
            "x": b64(uint(nums.x, 32)), "y": b64(uint(nums.y, 32))}


def github_claims(aud, now):
    # https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
    return {
        "jti": str(uuid.uuid4()),
        "sub": "repo:octo-org/octo-repo:environment:production",
        "environment": "production",
        "aud": aud,
        "ref": "refs/heads/main",
        "sha": "d6c3a2e1f3b7c9a4e5d6f7a8b9c0d1e2f3a4b5c6",
        "repository": "octo-org/octo-repo",
        "repository_owner": "octo-org",
        "actor_id": "12",
        "repository_visibility": "private",
        "repository_id": "74",
        "repository_owner_id": "65",
        "run_id": "5012345678",
        "run_number": "10",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "actor": "octocat",
        "triggering_actor": "octocat",
        "workflow": "deploy",
        "head_ref": "",
        "base_ref": "",
        "event_name": "push",
        "ref_type": "branch",
        "ref_protected": "true",
        "workflow_ref": "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
        "workflow_sha": "d6c3a2e1f3b7c9a4e5d6f7a8b9c0d1e2f3a4b5c6",
        "job_workflow_ref": "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
        "job_workflow_sha": "d6c3a2e1f3b7c9a4e5d6f7a8b9c0d1e2f3a4b5c6",
        "iss": GITHUB_ISS,
        "nbf": now - 5,
        "exp": now + 300,
        "iat": now,
    }


def gitlab_claims(aud, now):
    # https://docs.gitlab.com/ci/secrets/id_token_authentication/
    return {
        "namespace_id": "72",
        "namespace_path": "my-group",
        "project_id": "20",
        "project_path": "my-group/my-project",
        "user_id": "1",
        "user_login": "sample-user",
        "user_email": "sample-user@example.test",
        "user_access_level": "maintainer",
        "pipeline_id": "574",
        "pipeline_source": "push",
        "job_id": "302",
        "ref": "main",
        "ref_type": "branch",
        "ref_path": "refs/heads/main",
        "ref_protected": "true",
        "environment": "production",
        "environment_protected": "true",
        "deployment_tier": "production",
        "environment_action": "start",
        "runner_id": 1,
        "runner_environment": "gitlab-hosted",
        "sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "project_visibility": "private",
        "ci_config_ref_uri": "gitlab.example.test/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
        "ci_config_sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "jti": str(uuid.uuid4()),
        "iss": GITLAB_ISS,
        "iat": now,
        "nbf": now - 5,
        "exp": now + 300,
        "sub": "project_path:my-group/my-project:ref_type:branch:ref:main",
        "aud": aud,
    }


def sign(key, alg, signing_input, hs_secret=None):
    if alg == "none":
        return b""
    if alg == "HS256":
        return hmac.new(hs_secret, signing_input, hashlib.sha256).digest()
    if alg == "RS256":
        return key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return uint(r, 32) + uint(s, 32)
    raise SystemExit("unknown alg " + alg)


def make_token(args, aud=None):
    now = int(time.time())
    aud = aud if aud is not None else args.aud
    claims = (github_claims if args.shape == "github" else gitlab_claims)(aud, now)
    if args.iss is not None:
        claims["iss"] = args.iss
    for name, delta in (("exp", args.exp_in), ("iat", args.iat_in), ("nbf", args.nbf_in)):
        if delta is not None:
            claims[name] = now + delta
    if args.jti is not None:
        claims["jti"] = args.jti
    for kv in args.set or []:
        k, v = kv.split("=", 1)
        claims[k] = v
    for kv in args.int or []:
        k, v = kv.split("=", 1)
        claims[k] = int(v)
    for kv in args.json or []:
        k, v = kv.split("=", 1)
        claims[k] = json.loads(v)
    for k in args.delete or []:
        claims.pop(k, None)
    key = load_key(args.key) if args.key else None
    alg = args.alg or ("ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256")
    header = {"typ": "JWT", "alg": alg}
    if args.kid:
        header["kid"] = args.kid
    if args.shape == "github" and args.kid:
        header["x5t"] = b64(hashlib.sha1(args.kid.encode()).digest())
    for kv in args.header or []:
        k, v = kv.split("=", 1)
        header[k] = v
    signing_input = (b64(json.dumps(header).encode()) + "." +
                     b64(json.dumps(claims).encode())).encode()
    secret = open(args.hs_secret, "rb").read() if args.hs_secret else None
    return signing_input.decode() + "." + b64(sign(key, alg, signing_input, secret))


def serve_github(args):
    """GitHub's token endpoint as a job sees it: GET
    $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with "Authorization: bearer
    $ACTIONS_ID_TOKEN_REQUEST_TOKEN" answers {"count": N, "value": JWT}."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            if self.headers.get("Authorization", "").lower() != "bearer " + args.bearer.lower():
                self.send_response(401)
                self.end_headers()
                return
            token = make_token(args, aud=q.get("audience", [GITHUB_ISS.replace("token.actions.", "")])[0])
            body = json.dumps({"count": 1, "value": token}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file, "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("key")
    k.add_argument("--type", choices=["rsa", "ec"], required=True)
    k.add_argument("--out", required=True)
    j = sub.add_parser("jwks")
    j.add_argument("keys", nargs="+")
    for name in ("token", "serve-github"):
        t = sub.add_parser(name)
        t.add_argument("--shape", choices=["github", "gitlab"], default="github")
        t.add_argument("--key")
        t.add_argument("--kid")
        t.add_argument("--aud", default="delegate-test")
        t.add_argument("--iss")
        t.add_argument("--alg")
        t.add_argument("--hs-secret")
        t.add_argument("--set", action="append")
        t.add_argument("--int", action="append")
        t.add_argument("--json", action="append")
        t.add_argument("--del", dest="delete", action="append")
        t.add_argument("--exp-in", type=int)
        t.add_argument("--iat-in", type=int)
        t.add_argument("--nbf-in", type=int)
        t.add_argument("--jti")
        t.add_argument("--header", action="append")
        t.add_argument("--count", type=int, default=1)
        if name == "serve-github":
            t.add_argument("--bearer", required=True)
            t.add_argument("--port-file", required=True)
    args = ap.parse_args()
    if args.cmd == "key":
        key = (rsa.generate_private_key(65537, 2048) if args.type == "rsa"
               else ec.generate_private_key(ec.SECP256R1()))
        with open(args.out, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    elif args.cmd == "jwks":
        keys = []
        for spec in args.keys:
            path, kid = spec.rsplit("=", 1)
            keys.append(jwk_of(load_key(path), kid))
        print(json.dumps({"keys": keys}, indent=1))
    elif args.cmd == "token":
        for _ in range(args.count):
            print(make_token(args))
            args.jti = None
    else:
        serve_github(args)


if __name__ == "__main__":
    main()
