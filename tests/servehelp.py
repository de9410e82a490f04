"""Starting the real counter (`leaflets serve`) in a subprocess for the serve tests, and reading PDFs back."""

from __future__ import annotations

import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
import pikepdf

REPO = Path(__file__).resolve().parent.parent
LEAFLETS = Path(sys.executable).with_name("leaflets")
FOOTER_WORD = "Disclaimer:"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running `leaflets serve` with its own project, cache, temp folder and log file."""

    process: subprocess.Popen[bytes]
    port: int
    project: Path
    cache: Path
    tmpdir: Path
    log: Path
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout: float = 120) -> tuple[int, dict[str, str], bytes]:
        """One request with the path sent exactly as given (no client-side normalising)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(project: Path, paths: list[Path], cache: Path, tmpdir: Path, log: Path,
                 extra: list[str] | None = None, env: dict[str, str] | None = None) -> Server:
    """Start `leaflets serve` as a pharmacy would (the project's own command), wait until it answers."""
    port = free_port()
    tmpdir.mkdir(parents=True, exist_ok=True)
    args = [str(LEAFLETS), "serve", *map(str, paths), "--project", str(project), "--port", str(port),
            "--cache", str(cache), "--jobs", "2", *(extra or [])]
    environment = {**os.environ, "TMPDIR": str(tmpdir), **(env or {})}
    handle = log.open("ab")
    process = subprocess.Popen(args, cwd=project, stdout=handle, stderr=subprocess.STDOUT, env=environment)
    server = Server(process, port, project, cache, tmpdir, log, args)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"leaflets serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            status, _, _ = server.get("/api/search?q=a")
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"leaflets serve did not answer in time:\n{log.read_text()}")


def page_texts(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def metadata_bytes(data: bytes) -> bytes:
    """Everything a PDF says about itself: the Info dictionary and the XMP packet, as bytes."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        info = b"".join(str(key).encode() + str(value).encode("utf-8") for key, value in pdf.docinfo.items())
        xmp = pdf.Root.Metadata.read_bytes() if "/Metadata" in pdf.Root else b""
        outlines = b""
        with pdf.open_outline() as outline:
            outlines = "".join(item.title for item in outline.root).encode("utf-8")
    return info + xmp + outlines


def pdf_plain_bytes(data: bytes) -> bytes:
    """A PDF's bytes with every stream decompressed, and its text extracted, for searching."""
    parts = [data]
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream):
                    try:
                        parts.append(obj.read_bytes())
                    except pikepdf.PdfError:
                        parts.append(obj.read_raw_bytes())
        parts.append("\n".join(page_texts(data)).encode("utf-8"))
    except Exception:  # noqa: BLE001 - a damaged PDF is still searched raw, zlib stream by stream
        for start in range(len(data)):
            if data[start:start + 2] in (b"x\x9c", b"x\xda", b"x\x01"):
                try:
                    parts.append(zlib.decompressobj().decompress(data[start:]))
                except zlib.error:
                    pass
    return b"\n".join(parts)


def files_containing(roots: list[Path], needles: list[bytes]) -> list[str]:
    """Every file under ``roots`` whose bytes (or, for PDFs, decompressed streams and text) hold a needle."""
    found = []
    for root in roots:
        candidates = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
        for path in candidates:
            try:
                data = path.read_bytes()
            except OSError:
                continue
            haystacks = [data, data.lower()]
            if data.startswith(b"%PDF") or path.suffix.lower() == ".pdf":
                plain = pdf_plain_bytes(data)
                haystacks += [plain, plain.lower()]
            if b"\x1f\x8b" == data[:2]:
                import gzip
                try:
                    haystacks.append(gzip.decompress(data))
                except OSError:
                    pass
            for needle in needles:
                if any(needle in hay or needle.lower() in hay for hay in haystacks):
                    found.append(f"{path}: {needle!r}")
    return found
