"""An independent verifier of what fedgate mints for AWS: python3-onelogin-saml2 in strict mode,
configured as AWS's service provider would be (the SP entity id is AWS's Audience, the ACS URL is
the AWS sign-in SAML endpoint, the IdP is fedgate with its active certificate).

Reads one JSON object on stdin:
  {"samlResponse": "<base64>", "idpEntityId": "...", "idpCerts": ["<PEM or base64 DER>", ...],
   "spEntityId": "https://signin.aws.amazon.com/saml", "acsUrl": "https://signin.aws.amazon.com/saml"}
Writes one JSON object on stdout:
  {"valid": true|false, "error": null|"...", "nameId": ..., "nameIdFormat": ...,
   "sessionIndex": ..., "assertionId": ..., "issuers": [...], "audiences": [...],
   "attributes": {"<name>": ["<value>", ...]}, "algorithms": {"signature": ..., "digest": ...}}
Exit status 0 whenever the JSON was written (the verdict is in "valid").
"""

import json
import sys
import warnings
from urllib.parse import urlsplit

from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

warnings.simplefilter("ignore")

# What python3-saml >= 1.13's rejectDeprecatedAlgorithm refuses; Debian ships 1.12, which has no
# such setting, so the check is made here on the algorithms of the verified document.
DEPRECATED = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#sha1",
}
DS = {"ds": "http://www.w3.org/2000/09/xmldsig#"}


def main():
    req = json.load(sys.stdin)
    acs = urlsplit(req["acsUrl"])
    settings = OneLogin_Saml2_Settings(
        {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": req["spEntityId"],
                "assertionConsumerService": {
                    "url": req["acsUrl"],
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
                "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            },
            "idp": {
                "entityId": req["idpEntityId"],
                "singleSignOnService": {
                    "url": "https://idp.invalid/sso",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                # Several certificates: the rotation case, as read from fedgate's metadata.
                **(
                    {"x509certMulti": {"signing": req["idpCerts"]}}
                    if len(req["idpCerts"]) > 1
                    else {"x509cert": req["idpCerts"][0]}
                ),
            },
            "security": {
                "wantAssertionsSigned": True,
                "wantMessagesSigned": False,
                "wantNameId": True,
                "wantAttributeStatement": True,
                "wantAssertionsEncrypted": False,
                "wantNameIdEncrypted": False,
                "requestedAuthnContext": False,
                "allowRepeatAttributeName": False,
                "rejectDeprecatedAlgorithm": True,
                "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
            },
        },
        sp_validation_only=True,
    )
    # The request AWS's sign-in endpoint would see: a POST to the ACS URL over https.
    request_data = {
        "https": "on",
        "http_host": acs.netloc,
        "script_name": acs.path,
        "get_data": {},
        "post_data": {"SAMLResponse": req["samlResponse"]},
    }
    out = {"valid": False, "error": None}
    try:
        response = OneLogin_Saml2_Response(settings, req["samlResponse"])
        valid = response.is_valid(request_data, raise_exceptions=False)
        out["error"] = response.get_error()
        if valid:
            doc = response.get_xml_document()
            sig_algs = doc.xpath("//ds:Signature/ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=DS)
            dig_algs = doc.xpath("//ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm", namespaces=DS)
            out["algorithms"] = {"signature": list(sig_algs), "digest": list(dig_algs)}
            if DEPRECATED.intersection(sig_algs) or DEPRECATED.intersection(dig_algs):
                valid = False
                out["error"] = "deprecated signature or digest algorithm"
        out["valid"] = bool(valid)
        if valid:
            out.update(
                nameId=response.get_nameid(),
                nameIdFormat=response.get_nameid_format(),
                sessionIndex=response.get_session_index(),
                assertionId=response.get_assertion_id(),
                issuers=response.get_issuers(),
                audiences=response.get_audiences(),
                attributes=response.get_attributes(),
            )
    except Exception as err:  # noqa: BLE001 - every failure is a verdict, reported as JSON
        out["valid"] = False
        out["error"] = out["error"] or f"{type(err).__name__}: {err}"
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
