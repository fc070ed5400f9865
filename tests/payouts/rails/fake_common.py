"""What both fake rails share: RSA keys made at run time, a WSGI server on a free loopback port."""

import base64
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key, *, pkcs1: bool = False) -> str:
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str):
    return serialization.load_pem_public_key(pem.encode())


def rsa2_sign(key, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(public_key, message: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # no access log in test output
        pass


class _ThreadingServer(WSGIServer):
    daemon_threads = True


def serve(app, port: int = 0, host: str = "127.0.0.1", quiet: bool = True):
    """Start `app` in a daemon thread; returns (server, base URL). server.shutdown() stops it."""
    server = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_Quiet if quiet else WSGIRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"


def read_body(environ) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""
