"""Alipay's public-key certificate mode (公钥证书模式), as Alipay's SDKs compute it.

In certificate mode every request carries `app_cert_sn` (the serial of the app's public-key certificate,
appCertPublicKey_<app id>.crt) and `alipay_root_cert_sn` (of Alipay's root certificate chain,
alipayRootCert.crt), and Alipay's answers and notifications are verified with the public key inside the
Alipay public-key certificate (alipayCertPublicKey_RSA2.crt), whose serial each answer names
(`alipay_cert_sn`).

A certificate's "SN" is Alipay's own: MD5 (hex) of the issuer's distinguished name as Java's
`X500Principal.getName()` writes it (RFC 2253: most specific first, `CN=…,OU=…,O=…,C=…`) followed by the
serial number in decimal. The root's is the SNs of the chain's certificates signed with RSA
(signature OID 1.2.840.113549.1.1.*) joined by "_" in file order; the chain's SM2 and ECDSA roots are left
out — as the Java SDK's `AntCertificationUtil.getRootCertSN` and the Node SDK's `getSN(…, true)` do. For
Alipay's published root chain this gives 687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6
(tests/payouts/rails/test_alipay_cert.py checks it).

Only RSA-signed certificates are parsed (the chain's ECDSA root has non-standard parameters that strict
parsers refuse); the signature OID of the others is read from the DER directly.
"""

import base64
import hashlib
import re
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization

PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.S)
RSA_SIGNATURES = "1.2.840.113549.1.1."


class CertificateError(ValueError):
    pass


def _blocks(pem: str) -> list[bytes]:
    blocks = [base64.b64decode("".join(body.split())) for body in PEM.findall(pem or "")]
    if not blocks:
        raise CertificateError("no certificate in PEM form")
    return blocks


def _der_item(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of the content, end of the item) of the DER item at `at`."""
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(data[at:at + count], "big"), at + count
    return tag, at, at + length


def _oid(content: bytes) -> str:
    first, rest = content[0], content[1:]
    parts, value = [first // 40, first % 40], 0
    for byte in rest:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def signature_oid(der: bytes) -> str:
    """Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, … }, signature }."""
    try:
        _, inner, _ = _der_item(der, 0)
        _, _, after_tbs = _der_item(der, inner)
        _, algorithm, _ = _der_item(der, after_tbs)
        tag, start, end = _der_item(der, algorithm)
    except IndexError as exc:
        raise CertificateError("not a DER certificate") from exc
    if tag != 0x06:
        raise CertificateError("no signature algorithm")
    return _oid(der[start:end])


def _sn(cert: x509.Certificate) -> str:
    return hashlib.md5((cert.issuer.rfc4514_string() + str(cert.serial_number)).encode()).hexdigest()


@lru_cache(maxsize=64)
def cert_sn(pem: str) -> str:
    """`app_cert_sn` (or `alipay_cert_sn`) of a certificate: its first certificate."""
    try:
        return _sn(x509.load_der_x509_certificate(_blocks(pem)[0]))
    except ValueError as exc:
        raise CertificateError(f"not a certificate: {exc}") from exc


@lru_cache(maxsize=16)
def root_cert_sn(pem: str) -> str:
    """`alipay_root_cert_sn`: the RSA-signed certificates of the root chain, joined by "_"."""
    sns = []
    for der in _blocks(pem):
        if signature_oid(der).startswith(RSA_SIGNATURES):
            try:
                sns.append(_sn(x509.load_der_x509_certificate(der)))
            except ValueError as exc:
                raise CertificateError(f"not a certificate: {exc}") from exc
    if not sns:
        raise CertificateError("the root chain has no RSA certificate")
    return "_".join(sns)


@lru_cache(maxsize=64)
def cert_public_key(pem: str) -> str:
    """The public key (SPKI PEM) inside a certificate: Alipay's, to verify its answers and notifications."""
    try:
        cert = x509.load_der_x509_certificate(_blocks(pem)[0])
    except ValueError as exc:
        raise CertificateError(f"not a certificate: {exc}") from exc
    return cert.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode()
