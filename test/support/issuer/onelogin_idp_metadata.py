"""Parses fedgate's IdP metadata with python3-onelogin-saml2's IdP metadata parser (an
independent reader of what `aws iam create-saml-provider` is given).

Reads the metadata XML on stdin; writes
  {"entityId": ..., "ssoUrl": ..., "signingCerts": ["<base64 DER>", ...], "nameIdFormat": ...}
"""

import json
import sys

from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser


def main():
    data = OneLogin_Saml2_IdPMetadataParser.parse(sys.stdin.read())
    idp = data.get("idp", {})
    certs = idp.get("x509certMulti", {}).get("signing") or ([idp["x509cert"]] if "x509cert" in idp else [])
    json.dump(
        {
            "entityId": idp.get("entityId"),
            "ssoUrl": idp.get("singleSignOnService", {}).get("url"),
            "signingCerts": certs,
            "nameIdFormat": data.get("sp", {}).get("NameIDFormat"),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
