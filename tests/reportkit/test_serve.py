"""The preview server as an attacker sees it: only files inside its folder, only for its own Host, no listings,
no tracebacks, HEAD like GET, and a busy port refused in one line before any build."""
import http.client
import socket
import threading

import pytest

from reportkit.errors import ConfigError
from reportkit.serve import RELOAD, State, open_server


@pytest.fixture
def site(tmp_path):
    """A served folder, a secret beside it, and a request function: (status, headers, body)."""
    root = tmp_path / "site"
    (root / "figures").mkdir(parents=True)
    (root / "index.html").write_text("<html><body>report</body></html>")
    (root / "figures" / "a.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.html").write_text("<html><body>secret</body></html>")
    (root / "link.html").symlink_to(tmp_path / "secret.html")
    said = []
    server = open_server(root, State(), 0, said.append)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    def request(path, method="GET", host=f"127.0.0.1:{port}"):
        """A raw request (the path as bytes, as a hostile client sends it)."""
        path = path if isinstance(path, bytes) else path.encode()
        head = b"" if host is None else b"Host: " + host.encode() + b"\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(method.encode() + b" " + path + b" HTTP/1.1\r\n" + head + b"Connection: close\r\n\r\n")
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            return response.status, dict(response.getheaders()), response.read()

    yield request, port, said
    server.shutdown()
    server.server_close()


def test_pages_and_files_inside_the_folder_are_served(site):
    request, port, said = site
    status, headers, body = request("/")
    assert status == 200 and b"report" in body and RELOAD.encode() in body
    assert request("/figures/a.png")[0] == 200 and request("/index.html?x=1")[0] == 200
    assert request("/", host=f"localhost:{port}")[0] == 200
    assert said == []


@pytest.mark.parametrize("path", ["/../secret.html", "/../../../../../etc/passwd", "/%2e%2e/secret.html",
                                  "/figures/../../secret.html", "/link.html", "/figures/", "/figures",
                                  "/" + "a" * 5000 + ".html", "/%ff%fe.html", b"/\xff\xfe.html", "/nul%00.html"])
def test_nothing_outside_the_folder_and_no_listing(site, path):
    request, port, said = site
    status, _, body = request(path)
    assert status == 404 and b"secret" not in body and b"root:" not in body and b"a.png" not in body
    assert said == []                                     # no traceback, not even a line, for a bad request


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", None])
def test_another_host_is_refused(site, host):
    request, port, _ = site
    assert request("/", host=host.format(port=port) if host else None)[0] in (400, 403)


@pytest.mark.parametrize("path", ["/", "/figures/a.png"])
def test_head_announces_the_length_get_sends(site, path):
    request, _, _ = site
    status, headers, body = request(path, method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["Content-Length"]) == len(request(path)[2])


def test_a_busy_port_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError, match=r"cannot serve on 127\.0\.0\.1:\d+ .*--port") as error:
            open_server(tmp_path, State(), taken.getsockname()[1], print)
    assert "\n" not in str(error.value)
