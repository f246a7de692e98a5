"""PDF, Word and HTML: how fast and how faithfully each reader works, and what the formats cost.

    python benchmarks/formats.py speed      # PDF and HTML readers side by side: pages/s, paragraphs intact
    python benchmarks/formats.py folder     # index a mixed folder: r2p-search beside the naive recipe
    python benchmarks/formats.py quality    # the 2011 speeches as .txt, PDF, DOCX and HTML: MRR@10

Every document is real General Debate text (../shared/data/ungdc) laid out as a UN document by
tests/undocs.py (reportlab, python-docx, LibreOffice when installed), so that what a reader gets
back can be checked against the text it was made from. "Intact" is the share of the source's
paragraphs found word for word (white space aside) in what the reader returns; for readers that
return one stream of text, anywhere in it, which favours them. "Furniture" counts running
headers, job numbers, barcodes, notices and web-page chrome left in the text.

The naive recipe is pypdf's extract_text() page by page (python-docx paragraphs for Word, every
text node for HTML), paragraphs cut at blank lines, all-MiniLM-L6-v2, IndexFlatIP: dense only.
Needs the bench extra: pip install -e '.[bench,test]'.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
import naive  # noqa: E402

from tests import undocs  # noqa: E402

UNGDC = REPO.parent / "shared" / "data" / "ungdc"
QUERIES = REPO / "tests" / "eval" / "ungdc-2011.jsonl"

FURNITURE = [
    re.compile(p, re.I)
    for p in (
        r"\b\d{2}-\d{5} \(E\)",
        r"\*\d{7}\*",
        r"Please recycle",
        r"This record contains the text of speeches",
        r"Check against delivery",
        r"We use cookies",
        r"Share on (?:Facebook|Twitter)",
        r"Related links",
        r"Site map",
        r"dataLayer",
        r"Distr\.: General",
    )
]


def norm(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


def intact(paras: list[undocs.Para], pieces: list[str]) -> float:
    texts = [norm(p) for p in pieces]
    found = sum(1 for p in paras if any(norm(p.text) in t for t in texts))
    return found / len(paras) if paras else 1.0


def furniture(pieces: list[str]) -> int:
    return sum(len(pattern.findall(piece)) for piece in pieces for pattern in FURNITURE)


# Readers compared. Each returns the pieces of text it gives back (paragraphs, or pages).


def ours(path: Path) -> list[str]:
    from r2p_search.documents import SourceFile, read_document

    return [b.text for b in read_document(SourceFile(path, path.name)).blocks or []]


def pypdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def pypdf_paragraphs(path: Path) -> list[str]:
    return [p for page in pypdf_pages(path) for p in naive.paragraphs(page)]


def pdfminer_text(path: Path) -> list[str]:
    from pdfminer.high_level import extract_text

    return [extract_text(str(path))]


def pdfium_plain(path: Path) -> list[str]:
    """PDFium's own text, page by page, no layout: what our reader starts from."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def docx_paragraphs(path: Path) -> list[str]:
    import docx

    return [p.text for p in docx.Document(str(path)).paragraphs]


def html_all_text(path: Path) -> list[str]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(path.read_bytes())
    for node in tree.css("script, style"):
        node.decompose()
    return [tree.body.text(separator="\n") if tree.body else ""]


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


def _speeches(year: int = 2011) -> list[Path]:
    folder = UNGDC / str(year)
    if not folder.is_dir():
        sys.exit(f"General Debate speeches not found at {folder}")
    return sorted(folder.glob("*.txt"))


def make_samples(cache: Path) -> dict[str, list[tuple[Path, list[undocs.Para]]]]:
    """Reports (one column), verbatim records (two columns), Word files, LibreOffice PDFs, web pages."""
    speeches = _speeches()
    out: dict[str, list[tuple[Path, list[undocs.Para]]]] = {
        k: [] for k in ("report", "record", "docx", "lo", "html")
    }
    cache.mkdir(parents=True, exist_ok=True)
    for i in range(6):
        group = speeches[i * 3 : i * 3 + 3]
        report = undocs.report_from_speeches(group, symbol=f"A/66/{870 + i}")
        done = undocs.write_report_pdf(report, cache / f"report-{i}.pdf")
        out["report"].append((cache / f"report-{i}.pdf", done.paras + done.footnotes))
        draft = undocs.report_from_speeches(group, symbol=f"A/66/{870 + i}", footnotes=2)
        written = undocs.write_docx(draft, cache / f"report-{i}.docx")
        out["docx"].append((cache / f"report-{i}.docx", [p for p in written.paras if p.kind != "heading"]))
        converted = undocs.docx_to_pdf(cache / f"report-{i}.docx", cache / "lo")
        if converted is not None:
            out["lo"].append((converted, [p for p in written.paras if p.kind == "body"]))
        speakers = [(f"Speaker {j}", path.stem.split("_")[0], path) for j, path in enumerate(group)]
        paras = undocs.write_verbatim_pdf(speakers, cache / f"record-{i}.pdf", symbol=f"A/66/PV.{10 + i}")
        out["record"].append((cache / f"record-{i}.pdf", [p for p in paras if p.kind != "heading"]))
        statement = undocs.write_html(undocs.speech_paragraphs(group[0]), cache / f"page-{i}.html")
        out["html"].append((cache / f"page-{i}.html", [p for p in statement if p.kind == "body"]))
    return out


def measure(
    name: str, reader: Callable[[Path], list[str]], docs: list[tuple[Path, list[undocs.Para]]]
) -> str:
    pages = sum(page_count(p) if p.suffix == ".pdf" else 1 for p, _ in docs)
    started = time.perf_counter()
    outputs = [reader(path) for path, _ in docs]
    seconds = time.perf_counter() - started
    share = sum(intact(paras, out) for (_, paras), out in zip(docs, outputs, strict=True)) / len(docs)
    leaked = sum(furniture(out) for out in outputs)
    unit = "pages/s" if docs[0][0].suffix == ".pdf" else "files/s"
    return f"  {name:<34}{pages / seconds:>9.1f} {unit:<8}{share:>9.1%}{leaked:>11}"


def speed(args: argparse.Namespace) -> None:
    samples = make_samples(args.cache / "samples")
    header = f"  {'reader':<34}{'speed':>18}{'intact':>9}{'furniture':>11}"
    pdf_readers: list[tuple[str, Callable[[Path], list[str]]]] = [
        ("r2p-search (pypdfium2 + layout)", ours),
        ("pypdfium2 text, no layout", pdfium_plain),
        ("pypdf extract_text (naive)", pypdf_pages),
        ("pdfminer.six extract_text", pdfminer_text),
    ]
    for kind, title in (
        ("report", "one-column reports"),
        ("record", "two-column verbatim records"),
        ("lo", "Word files saved as PDF by LibreOffice"),
    ):
        if not samples[kind]:
            print(f"{title}: LibreOffice not installed, skipped\n")
            continue
        pages = sum(page_count(p) for p, _ in samples[kind])
        print(f"{title}: {len(samples[kind])} files, {pages} pages")
        print(header)
        for name, reader in pdf_readers:
            print(measure(name, reader, samples[kind]))
        print()
    print(f"Word reports: {len(samples['docx'])} files")
    print(header)
    print(measure("r2p-search (python-docx)", ours, samples["docx"]))
    print(measure("python-docx paragraphs (naive)", docx_paragraphs, samples["docx"]))
    print()
    print(f"web pages (statements saved from un.org): {len(samples['html'])} files")
    print(header)
    print(measure("r2p-search (trafilatura)", ours, samples["html"]))
    print(measure("every text node (naive)", html_all_text, samples["html"]))


def folder(args: argparse.Namespace) -> None:
    """Time to index a researcher's mixed folder, fresh, both ways, in this run."""
    from r2p_search.indexer import build_index

    root = args.cache / "folder"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    undocs.mixed_folder(root, UNGDC)
    files = [p for p in root.rglob("*") if p.is_file()]
    index_dir = args.cache / "folder-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    report = build_index(root, index_dir)
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = build_index(root, index_dir)
    unchanged_seconds = time.perf_counter() - started
    started = time.perf_counter()
    texts, failed = naive_texts(root)
    encoder = naive.model()
    encoder.encode([t for _, t in texts], batch_size=32, normalize_embeddings=True)
    naive_seconds = time.perf_counter() - started
    print(f"mixed folder: {len(files)} files ({', '.join(sorted({p.suffix for p in files}))})")
    print(
        f"  r2p-search  {ours_seconds:6.1f} s   {report.documents} documents, {report.passages} passages, "
        f"{len(report.skipped)} files skipped with a reason; unchanged re-index {unchanged_seconds:.1f} s, "
        f"{again.embedded} embedded"
    )
    print(
        f"  naive       {naive_seconds:6.1f} s   {len(texts)} paragraphs; {failed} files raised an error "
        "or were ignored without a word"
    )


def naive_texts(root: Path) -> tuple[list[tuple[str, str]], int]:
    """(document, paragraph) as the naive recipe reads a folder; and how many files it lost."""
    texts: list[tuple[str, str]] = []
    failed = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            if path.suffix == ".pdf":
                pieces = pypdf_paragraphs(path)
            elif path.suffix == ".docx":
                pieces = [p for p in docx_paragraphs(path) if p.strip()]
            elif path.suffix in (".html", ".htm"):
                pieces = naive.paragraphs(html_all_text(path)[0])
            elif path.suffix == ".txt":
                pieces = naive.paragraphs(path.read_text(encoding="utf-8-sig"))
            else:
                failed += 1
                continue
        except Exception:  # the naive recipe has no error handling: count what it loses
            failed += 1
            continue
        if not pieces:
            failed += 1
        texts.extend((path.stem, p) for p in pieces)
    return texts, failed


def quality(args: argparse.Namespace) -> None:
    """The 2011 speeches in each format, indexed the default way, scored on the 2011 questions."""
    from r2p_search.embedding import load_embedder
    from r2p_search.evaluate import evaluate, load_queries
    from r2p_search.indexer import build_index
    from r2p_search.search import Hit, Index

    queries = load_queries(QUERIES)
    speeches = _speeches()
    folders = {"txt": args.cache / "q-txt", "pdf": args.cache / "q-pdf", "docx": args.cache / "q-docx"}
    folders["html"] = args.cache / "q-html"
    for name, folder_path in folders.items():
        if folder_path.is_dir() and len(list(folder_path.iterdir())) == len(speeches):
            continue
        shutil.rmtree(folder_path, ignore_errors=True)
        folder_path.mkdir(parents=True)
        started = time.perf_counter()
        for path in speeches:
            target = folder_path / f"{path.stem}.{name}"
            if name == "txt":
                shutil.copyfile(path, target)
            elif name == "pdf":
                code = path.stem.split("_")[0]
                undocs.write_verbatim_pdf([(f"The representative of {code}", code, path)], target)
            elif name == "docx":
                doc = undocs.report_from_speeches([path], footnotes=0, title=f"Statement, {path.stem}")
                undocs.write_docx(doc, target)
            else:
                undocs.write_html(undocs.speech_paragraphs(path), target, symbol=None, title=path.stem)
        print(f"wrote {len(speeches)} {name} files in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    rows = []
    embedder = load_embedder()
    for name, folder_path in folders.items():
        index_dir = args.cache / f"q-index-{name}"
        started = time.perf_counter()
        build_index(folder_path, index_dir)
        print(f"indexed {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        with Index.open(index_dir) as index:
            for mode in ("hybrid", "dense"):
                summary = evaluate(queries, lambda qs, k, i=index, m=mode: i.search_many(qs, k, mode=m), mode)
                rows.append((f"r2p-search {mode}, {name}", summary))

    texts, _ = naive_texts(folders["pdf"])
    vectors = embedder.embed([t for _, t in texts])
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)

    def naive_search(qs: list[str], k: int) -> list[list[Hit]]:
        _, ids = flat.search(embedder.embed(qs), k)
        return [
            [
                Hit(r, 0.0, f"{texts[i][0]}:{i}", texts[i][0], "", None, "", 0, texts[i][1], 0)
                for r, i in enumerate(row, 1)
            ]
            for row in ids
        ]

    rows.append(("naive recipe (pypdf), pdf", evaluate(queries, naive_search, "naive")))
    base = {mode: s.metric("mrr@10") for name, s in rows if name.endswith(", txt") for mode in [s.mode]}
    print(f"{len(queries)} questions on the {len(speeches)} speeches of 2011, each format indexed fresh")
    print(f"  {'':<34}{'MRR@10':>8}{'hit@10':>8}{'vs .txt':>9}")
    for name, summary in rows:
        mrr = summary.metric("mrr@10")
        against = base.get(summary.mode)
        change = f"{(mrr - against) / against:+.1%}" if against else ""
        print(f"  {name:<34}{mrr:>8.3f}{summary.metric('hit@10'):>8.3f}{change:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["speed", "folder", "quality"])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/r2p-formats"))
    args = parser.parse_args()
    if not UNGDC.is_dir():
        sys.exit(f"General Debate speeches not found at {UNGDC}")
    {"speed": speed, "folder": folder, "quality": quality}[args.what](args)


if __name__ == "__main__":
    main()
