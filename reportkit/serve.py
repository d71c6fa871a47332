"""A live preview: serve a site folder on 127.0.0.1, rebuild it when watched files change, reload open pages.

Pages are reloaded by server-sent events: the server adds a small script to the HTML pages it serves (never to
the files themselves, so a published site has none). A failed rebuild shows its one-line error in the page and
in the terminal; the server keeps running and recovers on the next good save.
"""
from __future__ import annotations

import html
import queue
import sys
import threading
import time
import webbrowser
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

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


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, state: State, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):          # noqa: A002 - the base class's name
        pass                                       # the terminal shows rebuilds, not every request

    def do_GET(self):                              # noqa: N802 - the base class's name
        path = self.path.split("?")[0]
        if path == "/__reload":
            return self.events()
        if path in ("/", "/index.html") or path.endswith(".html"):
            return self.page(path)
        return super().do_GET()

    def page(self, path: str) -> None:
        if self.state.error:
            body = (f"<!DOCTYPE html><meta charset='utf-8'><title>build error</title><body style='font: 14px "
                    f"sans-serif; padding: 2em'><h1 style='color:#b00020'>The last rebuild failed</h1><pre "
                    f"style='white-space: pre-wrap'>{html.escape(self.state.error)}</pre><p>Fix it and save; "
                    f"this page reloads.</p>{RELOAD}</body>")
        else:
            file = Path(self.directory) / (path.lstrip("/") or "index.html")
            if not file.is_file():
                return self.send_error(404)
            body = file.read_text().replace("</body>", RELOAD + "</body>", 1)
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def events(self) -> None:
        """One message per rebuild, for as long as the page is open."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
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
    def handle_error(self, request, client_address):
        """A browser that closes a page mid-response is normal while previewing; anything else is printed."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def relevant(changes) -> bool:
    return any(Path(p).suffix in WATCHED and "__pycache__" not in p for _, p in changes)


def rebuild_once(rebuild: Callable[[], None], state: State, say: Callable[[str], None],
                 errors: tuple[type, ...]) -> None:
    """Rebuild, and report the time or the one-line error both in the terminal and to open pages."""
    start = time.perf_counter()
    try:
        rebuild()
    except errors as e:
        say(f"error: {e}")
        state.done(str(e))
        return
    say(f"rebuilt in {time.perf_counter() - start:.1f} s")
    state.done(None)


def serve(site: Path, rebuild: Callable[[], None], watch: list[Path], port: int, open_browser: bool,
          say: Callable[[str], None], errors: tuple[type, ...]) -> int:
    """Build once, serve `site`, and rebuild on every save under `watch` until Ctrl-C. `errors` are the
    exceptions a rebuild reports as a message instead of stopping the server."""
    import watchfiles

    state = State()
    changes: queue.Queue = queue.Queue()
    stop = threading.Event()

    def watcher() -> None:
        for batch in watchfiles.watch(*[p for p in watch if p.exists()], stop_event=stop, rust_timeout=500):
            changes.put(batch)

    # Watch before the first build, so a save made while it runs, or just after "serving", is not missed.
    threading.Thread(target=watcher, daemon=True).start()
    site.mkdir(parents=True, exist_ok=True)
    attempt = partial(rebuild_once, rebuild, state, say, errors)
    attempt()
    server = Server(("127.0.0.1", port), partial(Handler, state=state, directory=str(site)))
    server.daemon_threads = True
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
