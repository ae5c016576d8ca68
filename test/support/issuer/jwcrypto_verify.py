"""Verifies a web identity token fedgate minted, the way STS would, with python3-jwcrypto.

An independent JOSE implementation (SECURITY.md §5): it shares no code with fedgate or jose.
Reads one JSON object on stdin:

    {"token": "<compact JWS>", "jwks": {...}, "issuer": "...", "audience": "...", "now": <epoch s>}

and prints one JSON object on stdout:

    {"valid": true, "header": {...}, "claims": {...}, "jwks": [{"kid": ..., "x5c_matches": true}]}
    {"valid": false, "error": "<exception class>: <message>"}

Checks: the JWKS parses and each key's x5c certificate carries that key's n/e; the token is a JWS
(not a JWE), alg RS256 only (jwcrypto refuses any other, including none), the key is chosen from
the JWKS by kid (a kid not in the set fails), the signature verifies, typ is JWT, and the claims
iss and aud equal the expected values, exp is after `now`, nbf is not after `now`, iat/sub/jti are
present. Exit status 0 whatever the verdict; non-zero only when the request itself is unusable.
Run it with /usr/bin/python3 (Debian's, which has python3-jwcrypto).
"""

import base64
import json
import sys

from cryptography import x509
from jwcrypto import jwk, jws, jwt


def b64url_int(value):
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def check_jwks(jwks):
    """Every key: RSA with n/e, and its first x5c certificate holds exactly that public key."""
    report = []
    for key in jwks["keys"]:
        cert = x509.load_der_x509_certificate(base64.b64decode(key["x5c"][0], validate=True))
        numbers = cert.public_key().public_numbers()
        report.append({
            "kid": key["kid"],
            "x5c_matches": numbers.n == b64url_int(key["n"]) and numbers.e == b64url_int(key["e"]),
        })
    return report


def verify(req):
    keyset = jwk.JWKSet.from_json(json.dumps(req["jwks"]))
    now = int(req["now"])
    token = jwt.JWT(
        jwt=req["token"],
        key=keyset,
        algs=["RS256"],
        check_claims={
            "iss": req["issuer"],
            "aud": req["audience"],
            # With a value jwcrypto compares against it, with no leeway: exp >= now, nbf <= now.
            "exp": now,
            "nbf": now,
            "iat": None,
            "sub": None,
            "jti": None,
        },
    )
    if not isinstance(token.token, jws.JWS):
        raise ValueError("not a JWS")
    header = json.loads(token.header)
    if header.get("alg") != "RS256":
        raise ValueError("alg is not RS256")
    if header.get("typ") != "JWT":
        raise ValueError("typ is not JWT")
    if "kid" not in header:
        raise ValueError("no kid")
    return {"valid": True, "header": header, "claims": json.loads(token.claims)}


def main():
    req = json.load(sys.stdin)
    result = {"jwks": check_jwks(req["jwks"])}
    try:
        result.update(verify(req))
    except Exception as err:  # every refusal is a verdict, not a crash
        result.update({"valid": False, "error": f"{type(err).__name__}: {err}"})
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
