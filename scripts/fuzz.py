"""Fuzz the article readers: `python scripts/fuzz.py --reader md --seconds 60` (or `--reader all`).

Inputs are mutated from seed documents (the sample corpus and a few built-in pages): tokens of the
format inserted or repeated hundreds of times (deep nesting), slices deleted or duplicated, bytes
flipped (invalid UTF-8), documents spliced together. Each input is decoded like a real file and
read through `graph.ingest.registry.read_file`, which must never raise and must give only Article
and Skipped records whose text can be written as UTF-8. An input that breaks this, or takes longer
than --slow seconds, is saved under --save and the script exits 1; if one hangs outright, the stack
is dumped after --hang seconds so the loop can be found.

The same seed gives the same inputs; `fuzz()` is what tests/hostile/test_properties.py runs briefly.
"""

from __future__ import annotations

import argparse
import faulthandler
import hashlib
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.ingest.registry import read_file  # noqa: E402 - after the path is set
from graph.ingest.source import decode  # noqa: E402
from graph.records import Article, Skipped  # noqa: E402

MAX_CHARS = 200_000  # inputs are cut here: big enough for deep nesting, small enough to stay fast
READERS = {"md": ".md", "html": ".html", "txt": ".txt", "csv": ".csv", "jsonl": ".jsonl", "xml": ".xml"}

# Structure tokens of each format: the characters its parser branches on.
TOKENS: dict[str, tuple[str, ...]] = {
    "md": ("---\n", "title: ", "slug: ../x\n", "date: 2023-02-30\n", "&a [*a]", "!!python/name:os.system",
           "[a](", "](/articles/x/)", "<a href='/y/'>", "</a>", "\n\n", "# ", "## Related\n", "- ", "> ",
           "```\n", "| a | b |\n|---|---|\n", "![i](/i.png)", "*", "_", "&#xD800;", "\\", "\r", "\ufeff", "\x00"),
    "html": ("<main>", "</main>", "<article>", "<p>", "</p>", "<a href='/articles/z/'>", "</a>", "<div>",
             "</div>", "<h1>", "<h2>", "Related articles", "<nav>", "<aside class='related'>", "<li>",
             "<table><tr><td>", "<time datetime='2024-02-30'>", "<!--", "-->", "<script>", "&amp;", "&#0;",
             "<title>", "<link rel=canonical href='x:99999'>", "<meta name=author content=", "\x00", "<"),
    "txt": ("\n", "\n\n", "Related Articles\n", "Read More\n", "• ", "- ", "?", ".", "Causes\n", "\x0c",
            "\t", "Can Back Pain Cause Sciatica?", "Q: Does it last?Most people recover."),
    "csv": (",", ";", "\"", "\"\"", "\n", "\r", "title,body\n", "Title;Body;Format\n", "html", "markdown",
            "<p>", "slug,body,url\n", "=cmd()", "x" * 50),
    "jsonl": ("{", "}", "\"title\":", "\"body\":", "\"x\"", ",", ":", "\n", "[", "]", "null", "\"\\ud800\"",
              "1e999", "\"format\": \"html\"", "\"tags\": [1, {}]"),
    "xml": ("<rss version='2.0' xmlns:wp='http://wordpress.org/export/1.2/' "
            "xmlns:content='http://purl.org/rss/1.0/modules/content/'>", "<channel>", "<item>", "</item>",
            "<wp:post_type>post</wp:post_type>", "<content:encoded>", "</content:encoded>",
            "<!DOCTYPE x [<!ENTITY a 'b'>]>", "&a;", "<![CDATA[", "]]>", "<wp:status>trash</wp:status>", "&#0;"),
}

SEEDS: dict[str, tuple[str, ...]] = {
    "md": ("---\ntitle: Back pain\ntags: [spine, pain]\n---\nBack pain is common. See [sciatica](/articles/"
           "sciatica/).\n\n## Related articles\n\n- [Gout](/articles/gout/)\n",),
    "html": ("<html><head><title>Gout | Site</title></head><body><nav><a href='/'>Home</a></nav><main><h1>Gout"
             "</h1><p>Gout flares hurt. Try <a href='/diet/'>diet changes</a>.</p></main></body></html>",),
    "txt": ("Neck Pain\n\nCauses\n\nPoor posture strains the neck.\n\nRelated Articles\n\nCan Back Pain Cause "
            "Sciatica?\n\nRead More\n",),
    "csv": ("title,body,slug\nKnee pain,Knees ache after running. See [rest](/rest/).,knee-pain\n",),
    "jsonl": ('{"title": "Cramp", "body": "<p>Cramp follows exercise.</p>", "tags": ["legs"]}\n',),
    "xml": ("<rss version='2.0' xmlns:wp='http://wordpress.org/export/1.2/' xmlns:content='http://purl.org/rss/"
            "1.0/modules/content/'><channel><item><title>Gout</title><wp:post_type>post</wp:post_type>"
            "<content:encoded><![CDATA[Gout flares hurt.]]></content:encoded></item></channel></rss>",),
}


@dataclass(frozen=True)
class Finding:
    """One input that broke a reader's contract, and where it was saved."""

    reader: str
    problem: str
    saved: Path | None


def seeds(reader: str) -> list[str]:
    """Built-in seeds plus the sample corpus files of this format."""
    found = list(SEEDS[reader])
    sample = ROOT / "data" / "articles"
    if sample.is_dir():
        found += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(sample.rglob(f"*{READERS[reader]}"))]
    return found


# --------------------------------------------------------------------------- mutations


def _insert(rng: random.Random, text: str, tokens: Sequence[str], pool: Sequence[str]) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + rng.choice(tokens) + text[at:]


def _repeat(rng: random.Random, text: str, tokens: Sequence[str], pool: Sequence[str]) -> str:
    """A token hundreds or thousands of times: nesting depth and long runs."""
    at = rng.randint(0, len(text))
    return text[:at] + rng.choice(tokens) * rng.choice((10, 300, 3000)) + text[at:]


def _delete(rng: random.Random, text: str, tokens: Sequence[str], pool: Sequence[str]) -> str:
    a = rng.randint(0, len(text))
    return text[:a] + text[a + rng.randint(1, 64):]


def _duplicate(rng: random.Random, text: str, tokens: Sequence[str], pool: Sequence[str]) -> str:
    a = rng.randint(0, len(text))
    piece = text[a:a + rng.randint(1, 200)]
    return text[:a] + piece * rng.randint(2, 50) + text[a:]


def _character(rng: random.Random, text: str, tokens: Sequence[str], pool: Sequence[str]) -> str:
    at = rng.randint(0, len(text))
    code = rng.choice((rng.randrange(0, 0x80), rng.randrange(0x80, 0xD800), rng.randrange(0xE000, 0x110000)))
    return text[:at] + chr(code) + text[at:]


def _splice(rng: random.Random, text: str, tokens: Sequence[str], pool: Sequence[str]) -> str:
    other = rng.choice(pool)
    return text[: rng.randint(0, len(text))] + other[rng.randint(0, len(other)):]


MUTATIONS: tuple[Callable[[random.Random, str, Sequence[str], Sequence[str]], str], ...] = (
    _insert, _insert, _insert, _repeat, _delete, _duplicate, _character, _splice,
)


def mutate(rng: random.Random, text: str, tokens: Sequence[str], pool: Sequence[str]) -> str:
    """One to four random mutations, cut at MAX_CHARS."""
    for _ in range(rng.randint(1, 4)):
        text = rng.choice(MUTATIONS)(rng, text, tokens, pool)
    return text[:MAX_CHARS]


def _as_file(rng: random.Random, text: str, path: str) -> str:
    """The text as the build would see it: bytes (sometimes damaged) decoded like a real file."""
    raw = bytearray(text.encode("utf-8"))
    if raw and rng.random() < 0.15:
        for _ in range(rng.randint(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
    return decode(bytes(raw), path)[0]


# --------------------------------------------------------------------------- checking


def check(reader: str, text: str) -> str | None:
    """What is wrong with reading one input, or None if the contract held."""
    path = "fuzz" + READERS[reader]
    try:
        records = list(read_file(path, text))
    except Exception as exc:  # any escape is the finding
        return f"{exc.__class__.__name__}: {str(exc)[:300]}"
    for record in records:
        if not isinstance(record, Article | Skipped):
            return f"unexpected record {type(record).__name__}"
        if isinstance(record, Article):
            try:
                for value in (record.title, record.slug, record.text, *(lk.anchor for lk in record.links)):
                    value.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"article text cannot be written: {exc}"
    return None


def _save(folder: Path | None, reader: str, text: str) -> Path | None:
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8", "surrogatepass")
    path = folder / f"{reader}-{hashlib.sha256(data).hexdigest()[:12]}{READERS[reader]}"
    path.write_bytes(data)
    return path


def fuzz(reader: str, seconds: float, seed: int = 0, save_to: Path | None = None, slow: float = 30.0,
         hang: float = 300.0) -> list[Finding]:
    """Mutate and read inputs for `seconds`; every broken contract (or slow input) is a Finding."""
    rng = random.Random(f"{reader}:{seed}")
    pool = seeds(reader)
    findings: list[Finding] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = _as_file(rng, mutate(rng, rng.choice(pool), TOKENS[reader], pool), "fuzz" + READERS[reader])
        faulthandler.dump_traceback_later(hang, exit=False)
        started = time.monotonic()
        try:
            problem = check(reader, text)
        finally:
            faulthandler.cancel_dump_traceback_later()
        took = time.monotonic() - started
        if problem is None and took > slow:
            problem = f"slow: {took:.1f} s for {len(text)} characters"
        if problem:
            findings.append(Finding(reader, problem, _save(save_to, reader, text)))
        elif len(pool) < 300 and rng.random() < 0.05:
            pool.append(text)  # keep some survivors: mutations of mutations go deeper
    return findings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", choices=[*READERS, "all"], default="all", help="format to fuzz (default all)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time per reader (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--save", type=Path, default=Path("fuzz-failures"), help="folder for failing inputs")
    parser.add_argument("--slow", type=float, default=10.0, help="seconds after which an input counts as slow")
    parser.add_argument("--hang", type=float, default=120.0, help="dump the stack of an input running this long")
    args = parser.parse_args(argv)
    readers = list(READERS) if args.reader == "all" else [args.reader]
    failed = 0
    for reader in readers:
        findings = fuzz(reader, args.seconds, args.seed, args.save, args.slow, args.hang)
        for f in findings:
            print(f"{f.reader}: {f.problem} (input: {f.saved})")
        print(f"{reader}: {len(findings)} finding(s) in {args.seconds:g} s")
        failed += len(findings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
