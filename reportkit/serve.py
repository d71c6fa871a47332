"""A live preview: serve a site folder on 127.0.0.1, rebuild it when watched files change, reload open pages.

Pages are reloaded by server-sent events: the server adds a small script to the HTML pages it serves (never to
the files themselves, so a published site has none). A failed rebuild shows its one-line error in the page and
in the terminal; the server keeps running and recovers on the next good save.
"""
from __future__ import annotations

import html
import mimetypes
import queue
import sys
import threading
import time
import urllib.parse
import webbrowser
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from reportkit.errors import ConfigError

RELOAD = ('<script>new EventSource("/__reload").onmessage = function () { location.reload(); };</script>')
WATCHED = (".py", ".j2", ".css")


class State:
    """What the handler threads share with the rebuild loop: a version that counts rebuilds, and the last error."""

    def __init__(self):
        self.version, self.error = 0, None
        self.changed = threading.Condition()

    def done(self, error: str | None) -> None:
        with self.changed:
            self.version, self.error = self.version + 1, error
            self.changed.notify_all()


class Handler(BaseHTTPRequestHandler):
    """GET and HEAD of the files inside the site folder, nothing else: a path that resolves outside it (`..`,
    a link), a folder without index.html, or a request for another Host (DNS rebinding) is refused."""

    server_version = "hw5report-serve"

    def __init__(self, *args, state: State, site: Path, **kwargs):
        self.state, self.site = state, site.resolve()
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):          # noqa: A002 - the base class's name
        pass                                       # the terminal shows rebuilds, not every request

    def do_GET(self):                              # noqa: N802 - the base class's name
        self.respond(with_body=True)

    def do_HEAD(self):                             # noqa: N802
        self.respond(with_body=False)

    def respond(self, with_body: bool) -> None:
        port = self.server.server_address[1]
        if (self.headers.get("Host") or "").lower() not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            return self.send_error(403, "unknown Host; open http://127.0.0.1:%d/" % port)
        if urllib.parse.urlsplit(self.path).path == "/__reload":
            return self.events(with_body)
        file = self.target()
        if file is None:
            return self.send_error(404)
        if file.suffix == ".html":
            data = self.page(file).encode()
            kind = "text/html; charset=utf-8"
        else:
            data = file.read_bytes()
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def target(self) -> Path | None:
        """The file a request names, if it is a file inside the site (a folder means its index.html)."""
        try:
            rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path, errors="strict").lstrip("/")
            file = (self.site / rel).resolve()
            if file.is_dir():
                file = file / "index.html"
            return file if file.is_relative_to(self.site) and file.is_file() else None
        except (UnicodeDecodeError, OSError, ValueError):      # not UTF-8, a NUL, a name too long
            return None

    def page(self, file: Path) -> str:
        if self.state.error:
            return (f"<!DOCTYPE html><meta charset='utf-8'><title>build error</title><body style='font: 14px "
                    f"sans-serif; padding: 2em'><h1 style='color:#b00020'>The last rebuild failed</h1><pre "
                    f"style='white-space: pre-wrap'>{html.escape(self.state.error)}</pre><p>Fix it and save; "
                    f"this page reloads.</p>{RELOAD}</body>")
        return file.read_text(errors="replace").replace("</body>", RELOAD + "</body>", 1)

    def events(self, with_body: bool) -> None:
        """One message per rebuild, for as long as the page is open."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not with_body:
            return
        seen = self.state.version
        try:
            while True:
                with self.state.changed:
                    self.state.changed.wait(timeout=15)
                    version = self.state.version
                if version != seen:
                    seen = version
                    self.wfile.write(f"data: {version}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    say: Callable[[str], None] = print

    def handle_error(self, request, client_address):
        """A browser that closes a page mid-response is normal while previewing; anything else is one line."""
        error = sys.exc_info()[1]
        if not isinstance(error, (BrokenPipeError, ConnectionResetError)):
            self.say(f"serve: a request failed ({type(error).__name__}: {error})")


def open_server(site: Path, state: State, port: int, say: Callable[[str], None]) -> Server:
    """Bind 127.0.0.1:port (0: any free port), or a one-line ConfigError for a bad or busy port."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port}: give a port from 1 to 65535 (0 picks a free one)")
    try:
        server = Server(("127.0.0.1", port), partial(Handler, state=state, site=site))
    except OSError as e:
        raise ConfigError(f"cannot serve on 127.0.0.1:{port} ({e.strerror or e}); pass another --port "
                          "(0 picks a free one)") from None
    server.say = say
    return server


def relevant(changes) -> bool:
    return any(Path(p).suffix in WATCHED and "__pycache__" not in p for _, p in changes)


def rebuild_once(rebuild: Callable[[], None], state: State, say: Callable[[str], None],
                 errors: tuple[type, ...]) -> None:
    """Rebuild, and report the time or the one-line error both to open pages and in the terminal (pages first:
    whoever reads the terminal line and reloads sees what it says)."""
    start = time.perf_counter()
    try:
        rebuild()
    except errors as e:
        state.done(str(e))
        say(f"error: {e}")
        return
    state.done(None)
    say(f"rebuilt in {time.perf_counter() - start:.1f} s")


def serve(site: Path, rebuild: Callable[[], None], watch: list[Path], port: int, open_browser: bool,
          say: Callable[[str], None], errors: tuple[type, ...]) -> int:
    """Build once, serve `site`, and rebuild on every save under `watch` until Ctrl-C. `errors` are the
    exceptions a rebuild reports as a message instead of stopping the server."""
    import watchfiles

    state = State()
    site.mkdir(parents=True, exist_ok=True)
    server = open_server(site, state, port, say)      # a busy port is said before minutes of building
    changes: queue.Queue = queue.Queue()
    stop = threading.Event()

    def watcher() -> None:
        for batch in watchfiles.watch(*[p for p in watch if p.exists()], stop_event=stop, rust_timeout=500):
            changes.put(batch)

    # Watch before the first build, so a save made while it runs, or just after "serving", is not missed.
    threading.Thread(target=watcher, daemon=True).start()
    attempt = partial(rebuild_once, rebuild, state, say, errors)
    attempt()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    say(f"serving {site} at {url} (Ctrl-C stops)")
    if open_browser:
        webbrowser.open(url)
    try:
        while True:
            try:
                batch = changes.get(timeout=0.5)
            except queue.Empty:
                continue
            while not changes.empty():               # saves that arrived together make one rebuild
                batch |= changes.get()
            if relevant(batch):
                names = sorted({Path(p).name for _, p in batch})
                say(f"changed: {', '.join(names[:4])}{' …' if len(names) > 4 else ''}")
                attempt()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
    say("stopped")
    return 0
