"""A real SAML IdP for tests: pysaml2 (Debian's python3-pysaml2) builds and signs one Response.

Run with /usr/bin/python3 (the Debian interpreter that has saml2). Reads a JSON request on stdin:
  entityId, keyFile, certFile, spEntityId, acsUrl, nameId, nameIdFormat?, attributes {name: [values]},
  inResponseTo?, signAssertion, signResponse, nameFormat ('uri' | 'unspecified'), lifetimeMinutes?
and writes the Response XML on stdout. pysaml2 signs through the xmlsec1 binary.
"""
import json
import sys

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, xmldsig
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_UNSPECIFIED, NAME_FORMAT_URI, NameID
from saml2.server import Server


def sp_metadata(entity_id, acs_url):
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s">'
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"'
        ' WantAssertionsSigned="true"><md:AssertionConsumerService Binding="%s" Location="%s" index="0"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>" % (entity_id, BINDING_HTTP_POST, acs_url)
    )


def main():
    req = json.load(sys.stdin)
    name_form = NAME_FORMAT_URI if req.get("nameFormat") == "uri" else NAME_FORMAT_UNSPECIFIED
    conf = IdPConfig()
    conf.load(
        {
            "entityid": req["entityId"],
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [("https://idp.invalid/sso", BINDING_HTTP_REDIRECT)]
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": req.get("lifetimeMinutes", 5)},
                            "attribute_restrictions": None,
                            "name_form": name_form,
                        }
                    },
                    "name_id_format": [req.get("nameIdFormat", NameID.c_namespace)],
                }
            },
            "key_file": req["keyFile"],
            "cert_file": req["certFile"],
            "metadata": {"inline": [sp_metadata(req["spEntityId"], req["acsUrl"])]},
            "xmlsec_binary": "/usr/bin/xmlsec1",
        }
    )
    server = Server(config=conf)
    name_id_format = req.get(
        "nameIdFormat", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    )
    response = server.create_authn_response(
        req["attributes"],
        in_response_to=req.get("inResponseTo"),
        destination=req["acsUrl"],
        sp_entity_id=req["spEntityId"],
        name_id=NameID(format=name_id_format, text=req["nameId"]),
        authn={"class_ref": PASSWORDPROTECTEDTRANSPORT},
        sign_assertion=req["signAssertion"],
        sign_response=req["signResponse"],
        sign_alg=xmldsig.SIG_RSA_SHA256,
        digest_alg=xmldsig.DIGEST_SHA256,
    )
    sys.stdout.write(str(response))


if __name__ == "__main__":
    main()
