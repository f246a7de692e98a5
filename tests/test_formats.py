"""PDF, Word and HTML read as UN documents: real General Debate text laid out by real writers
(tests/undocs.py), read back and checked against the text it was made from."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from r2p_search import config
from r2p_search.documents import Block, SourceFile, read_document
from r2p_search.embedding import HashingEmbedder
from r2p_search.errors import BadFileError, QueryError
from r2p_search.indexer import build_index, corpus_status
from r2p_search.query import Scope
from r2p_search.request import SearchRequest
from r2p_search.search import Index

from . import undocs
from .conftest import UNGDC, run_cli

pytestmark = pytest.mark.skipif(
    not UNGDC.is_dir(), reason=f"real General Debate files not found at {UNGDC} (the shared data folder)"
)

# Lines of page furniture: none may survive into a passage.
FURNITURE = [
    re.compile(r"\b\d{2}-\d{5} \(E\)"),  # job number
    re.compile(r"\*\d{7}\*"),  # barcode line
    re.compile(r"Please recycle", re.I),
    re.compile(r"This record contains the text of speeches", re.I),
    re.compile(r"Check against delivery", re.I),
    re.compile(r"We use cookies|Share on Facebook|Related links|Privacy|Site map", re.I),
    re.compile(r"gtag\(|dataLayer|function\s*\("),
]


def norm(text: str) -> str:
    return " ".join(text.split())


def read(path: Path, source: str | None = None) -> Any:
    return read_document(SourceFile(path, source or path.name))


def located(paras: Sequence[undocs.Para], blocks: Sequence[Block]) -> list[int | None]:
    """For each source paragraph, the block that holds its text intact (None if none does)."""
    texts = [norm(b.text) for b in blocks]
    return [next((i for i, t in enumerate(texts) if norm(p.text) in t), None) for p in paras]


def assert_faithful(paras: Sequence[undocs.Para], blocks: Sequence[Block], share: float = 0.97) -> list[int]:
    where = located(paras, blocks)
    found = [i for i in where if i is not None]
    missing = [p.text[:80] for p, i in zip(paras, where, strict=True) if i is None]
    assert len(found) >= share * len(paras), f"{len(paras) - len(found)} paragraphs lost or broken: {missing}"
    assert found == sorted(found), "paragraphs out of order"
    for block in blocks:
        for pattern in FURNITURE:
            assert not pattern.search(block.text), (
                f"furniture {pattern.pattern!r} kept in: {block.text[:120]}"
            )
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("researcher") / "corpus"
    root.mkdir()
    return root, undocs.mixed_folder(root, UNGDC)


def test_report_pdf_paragraphs_numbers_pages_and_footnotes(folder: tuple[Path, dict[str, Any]]) -> None:
    root, truth = folder
    report: undocs.UNDoc = truth["reports/A_66_874.pdf"]
    doc = read(root / "reports/A_66_874.pdf")
    assert doc.blocks is not None
    body = [p for p in report.paras if p.kind != "heading"]
    assert_faithful(body + report.footnotes, doc.blocks)
    where = located(body, doc.blocks)
    for para, i in zip(body, where, strict=True):
        if i is None:
            continue
        block = doc.blocks[i]
        assert block.number == para.number, para.text[:60]
        assert block.page == para.page, para.text[:60]
        if para.kind == "summary":
            assert block.part == "summary"
    # Footnotes stand alone, on their page, and are never glued into the sentence citing them.
    notes = [b for b in doc.blocks if b.part == "footnote"]
    assert len(notes) == len(report.footnotes)
    for note, para in zip(notes, report.footnotes, strict=True):
        assert norm(para.text) in norm(note.text) and note.page == para.page and note.number is None
    for block in doc.blocks:
        if block.part != "footnote":
            assert not any(norm(n.text) in norm(block.text) for n in report.footnotes)
            assert not re.search(r"[a-z][.,;]\d\b", block.text), f"footnote mark left in: {block.text[:100]}"


def test_report_pdf_masthead_is_metadata(folder: tuple[Path, dict[str, Any]]) -> None:
    root, _ = folder
    doc = read(root / "reports/A_66_874.pdf")
    meta = doc.meta
    assert meta["symbol"] == "A/66/874–S/2012/578"
    assert meta["organ"] == "General Assembly and Security Council"
    assert meta["date"] == "2012-07-25" and meta["year"] == 2012
    assert meta["session"] == 66 and meta["agenda_item"] == "14 and 117"
    assert doc.title == "Responsibility to protect: timely and decisive response"
    # The title is the document's, in every citation, not a passage competing with its paragraphs.
    assert doc.blocks is not None and [b.part for b in doc.blocks[:3]] == ["heading", "heading", "summary"]
    assert not any(b.part == "title" or b.text == doc.title for b in doc.blocks)
    text = " ".join(b.text for b in doc.blocks)
    assert "Distr.: General" not in text and "Original: English" not in text
    assert "A/66/874" not in text  # the running header is gone; no footnote here cites the report


def test_verbatim_record_two_columns_in_reading_order(folder: tuple[Path, dict[str, Any]]) -> None:
    root, truth = folder
    paras: list[undocs.Para] = truth["records/A_66_PV_11.pdf"]
    doc = read(root / "records/A_66_PV_11.pdf")
    assert doc.blocks is not None
    body = [p for p in paras if p.kind != "heading"]
    found = assert_faithful(body, doc.blocks)
    assert len(found) > 100
    for para, i in zip(body, located(body, doc.blocks), strict=True):
        if i is not None:
            assert doc.blocks[i].page == para.page, para.text[:60]
            assert doc.blocks[i].number is None  # records number no paragraphs
    assert doc.meta["symbol"] == "A/66/PV.11" and doc.meta["date"] == "2011-09-21"
    assert doc.meta["meeting"] == "11th plenary meeting" and doc.meta["organ"] == "General Assembly"


def test_word_report_typed_and_automatic_numbers(folder: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, truth = folder
    draft: undocs.UNDoc = truth["notes/draft.docx"]
    typed = read(root / "notes/draft.docx")
    auto_path = tmp_path / "auto.docx"
    undocs.write_docx(draft, auto_path, auto_numbering=True)
    auto = read(auto_path)
    body = [p for p in draft.paras if p.kind != "heading"]
    for doc in (typed, auto):
        assert doc.blocks is not None
        assert_faithful(body, doc.blocks, share=1.0)
        numbered = [p for p in body if p.number is not None]
        for para, i in zip(numbered, located(numbered, doc.blocks), strict=True):
            assert i is not None and doc.blocks[i].number == para.number
        notes = [b for b in doc.blocks if b.part == "footnote"]
        assert [norm(n.text) for n in notes] == [f"{p.footnote} {norm(p.text)}" for p in draft.footnotes]
        text = " ".join(b.text for b in doc.blocks)
        assert "12-44215" not in text and "Distr." not in text  # header, footer and masthead
        assert doc.title == draft.title


def test_word_typed_by_hand_masthead_bold_title_and_list_style(tmp_path: Path) -> None:
    """A report typed in Word without its styles: the masthead on lines broken by hand, the title
    in bold 16 pt, paragraphs numbered by the List Number style."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.add_paragraph("United Nations\nA/66/874–S/2012/578")
    document.add_paragraph(
        "General Assembly Security Council\nDistr.: General 25 July 2012\nOriginal: English"
    )
    title = document.add_paragraph().add_run("Responsibility to protect: timely and decisive response")
    title.bold, title.font.size = True, Pt(16)
    paras = [
        "The responsibility to protect rests on three pillars of equal weight and standing.",
        "Timely and decisive response is the third pillar and the least understood of them.",
        "Prevention remains the first aim of every measure that the Council considers.",
    ]
    for text in paras:
        document.add_paragraph(text, style="List Number")
    path = tmp_path / "report.docx"
    document.save(str(path))
    doc = read(path)
    assert doc.title == "Responsibility to protect: timely and decisive response"
    assert doc.meta["symbol"] == "A/66/874–S/2012/578" and doc.meta["date"] == "2012-07-25"
    assert doc.blocks is not None
    assert [(b.number, b.text) for b in doc.blocks] == [(i, t) for i, t in enumerate(paras, start=1)]


def test_word_saved_as_pdf_by_libreoffice(folder: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed (Debian: libreoffice-writer-nogui)")
    root, truth = folder
    pdf = undocs.docx_to_pdf(root / "notes/draft.docx", tmp_path)
    assert pdf is not None
    doc = read(pdf)
    draft: undocs.UNDoc = truth["notes/draft.docx"]
    body = [p for p in draft.paras if p.kind == "body"]
    assert doc.blocks is not None
    assert_faithful(body, doc.blocks)
    numbered = [b for b in doc.blocks if b.number is not None]
    assert {b.number for b in numbered} >= set(range(1, 10))


def test_html_statement_main_text_in_its_declared_charset(folder: tuple[Path, dict[str, Any]]) -> None:
    root, truth = folder
    paras: list[undocs.Para] = truth["statements/sg_sm_13838.html"]
    raw = (root / "statements/sg_sm_13838.html").read_bytes()
    assert b"windows-1252" in raw[:500]
    doc = read(root / "statements/sg_sm_13838.html")
    assert doc.blocks is not None
    body = [p for p in paras if p.kind == "body"]
    assert_faithful(body, doc.blocks, share=1.0)
    assert "\ufffd" not in doc.body and "’" in doc.body  # curly quotes decoded, not mangled
    assert doc.meta["symbol"] == "SG/SM/13838" and doc.meta["date"] == "2011-09-23"
    assert doc.meta["organ"] == "Secretariat"


def test_every_unread_file_is_reported_with_a_reason(
    folder: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, truth = folder
    corpus = tmp_path / "corpus"
    shutil.copytree(root, corpus)
    (corpus / "metadata.csv").write_text("file,speaker\nplain/SYR_66_2011.txt,Walid Al-Moualem\n")
    report = build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    skipped = {s.source: s.reason for s in report.skipped}
    expected = {source: kind for source, kind in truth.items() if isinstance(kind, str)}
    images = {s for s in expected if s.endswith((".png", ".jpg"))}
    assert set(skipped) == set(expected) - images
    assert "metadata.csv" not in skipped
    reasons = {
        undocs.SKIP_NO_TEXT: "no text layer",
        undocs.SKIP_PASSWORD: "encrypted",
        undocs.SKIP_DAMAGED: "damaged",
        undocs.SKIP_UNSUPPORTED: "legacy",
    }
    for source in set(expected) - images:
        wanted = reasons[expected[source]]
        if source == "notzip.docx":
            wanted = "text file named .docx"
        assert wanted in skipped[source], (source, skipped[source])
    assert report.others == {".jpg": 1, ".png": 1}
    assert sorted(report.new) == sorted(s for s, t in truth.items() if not isinstance(t, str))
    # status shows what the build recorded, without reading a page of any file again.
    status = corpus_status(corpus, tmp_path / "index").to_json()
    assert {s["source"] for s in status["skipped"]} == set(expected) - images
    assert status["up_to_date"] and status["other_files"] == {".jpg": 1, ".png": 1}
    again = build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    assert again.embedded == 0 and len(again.unchanged) == len(report.new)


def test_search_cites_symbol_paragraph_and_page(folder: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, truth = folder
    build_index(root, tmp_path / "index", embedder=HashingEmbedder(64))
    report: undocs.UNDoc = truth["reports/A_66_874.pdf"]
    para = next(p for p in report.paras if p.number == 15)
    with Index.open(tmp_path / "index", embedder=HashingEmbedder(64)) as index:
        hits = index.search(para.text[:200], k=3, mode="lexical")
        assert hits[0].paragraph == 15 and hits[0].page == para.page
        assert hits[0].citation().startswith(f"A/66/874–S/2012/578, para. 15, p. {para.page} · ")
        # A symbol alone lists the document; with a paragraph it starts there; show takes a citation.
        listed = index.search("A/66/874", k=3)
        assert {h.doc_id for h in listed} == {"reports/A_66_874"} and listed[0].part == "summary"
        assert index.search("S/2012/578 para 15", k=1)[0].paragraph == 15
        assert index.passage("A/66/874 para 15").cited == 15
        assert index.passage("A/66/874, para. 15").cited == 15
        assert index.search("a/66/874 para 15", k=1)[0].paragraph == 15  # typed in lower case
        assert index.passage("A/66/PV.11, p. 3").page == 3  # a record is cited by page
        with pytest.raises(QueryError, match="has no paragraph 999"):
            index.search("A/66/874 para 999")
        with pytest.raises(QueryError, match="no document with symbol A/1/1"):
            index.search("famine", scope=Scope(symbols=("A/1/1",)))
        within = index.search("famine", k=5, scope=Scope(symbols=("A/66/PV.11",)))
        assert within and {h.doc_id for h in within} == {"records/A_66_PV_11"}
        # Footnotes are cited as such, never as a paragraph.
        note = index.search("A/66/874 See General Assembly resolution 60/1", k=1, mode="lexical")[0]
        assert note.part == "footnote" and note.paragraph is None
        assert note.citation().startswith("A/66/874–S/2012/578, footnote, p. ")
        # A symbol the index holds no document of is searched as a phrase: the note citing it.
        cited = index.search("A/63/677", k=1, mode="lexical")[0]
        assert cited.part == "footnote" and "A/63/677" in cited.text
        # A verbatim record numbers no paragraphs: cited by page.
        record = index.search("A/66/PV.11", k=1)[0]
        assert record.citation().startswith("A/66/PV.11, p. 1 · ")


def test_cli_index_summary_and_json_name_every_skipped_file(
    folder: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, truth = folder
    index = str(tmp_path / "index")
    run = run_cli("index", "--corpus", str(root), "--index", index, "--json", "--model", "hash")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    unread = {s for s, t in truth.items() if isinstance(t, str) and not s.endswith((".png", ".jpg"))}
    assert {s["source"] for s in data["skipped"]} == unread
    assert data["other_files"] == {".jpg": 1, ".png": 1}
    run = run_cli("search", "A/66/874 para 15", "-k", "1", "--index", index, "--corpus", str(root), "--json")
    assert run.returncode == 0, run.stderr
    hit = json.loads(run.stdout)["results"][0]
    assert hit["paragraph"] == 15 and hit["part"] is None and isinstance(hit["page"], int)
    assert hit["citation"].startswith(f"A/66/874–S/2012/578, para. 15, p. {hit['page']} · ")
    run = run_cli("show", "A/66/874, para. 15", "--index", index, "--corpus", str(root), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["passage_id"] == hit["passage_id"]
    run = run_cli("show", "A/66/874 para 999", "--index", index, "--corpus", str(root))
    assert run.returncode == 1 and "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


# Hostile files: each is refused with a reason, quickly, and the rest of the folder is indexed.


def _refused(path: Path, wanted: str, seconds: float = 20.0) -> None:
    started = time.perf_counter()
    with pytest.raises(BadFileError, match=wanted):
        read_document(SourceFile(path, path.name))
    assert time.perf_counter() - started < seconds


def test_pdf_with_too_many_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    undocs.write_many_pages_pdf(path, pages=config.MAX_PDF_PAGES + 1)
    _refused(path, "pages, over the")


def test_deeply_nested_pdf_neither_hangs_nor_crashes(tmp_path: Path) -> None:
    path = tmp_path / "nested.pdf"
    undocs.write_nested_pdf(path)
    started = time.perf_counter()
    try:
        read_document(SourceFile(path, path.name))
    except BadFileError:
        pass
    assert time.perf_counter() - started < 20


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    undocs.write_docx_bomb(path, uncompressed_mb=2000)
    assert path.stat().st_size < 10 * 1024 * 1024
    _refused(path, "zip bomb", seconds=5)


def test_html_over_the_size_limit_is_skipped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    undocs.write_big_html(corpus / "huge.html", mb=50)
    (corpus / "ok.txt").write_text("The responsibility to protect was endorsed at the 2005 World Summit.\n")
    report = build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    assert [s.source for s in report.skipped] == ["huge.html"]
    assert "over the" in report.skipped[0].reason and report.documents == 1


def test_a_file_that_takes_too_long_is_skipped(
    folder: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = folder
    monkeypatch.setattr(config, "MAX_SECONDS_PER_FILE", 0.0)
    _refused(root / "reports/A_66_874.pdf", "took over")


# Questions in plain words about paragraphs of the report, each with a few words quoted from the
# paragraph that answers it; the paragraph's number and page come from the layout, not from here.
REPORT_QUESTIONS = [
    ("lifting the economic embargo on Cuba", "lifting of the economic and financial embargo"),
    ("starvation in Somalia and the countries around it", "catastrophic effects of famine in Somalia"),
    ("centenary of the ANC, the oldest liberation movement in Africa", "will mark 100 years of existence"),
    (
        "is it legitimate for Abbas to seek UN membership for Palestine?",
        "entirely legitimate and understandable",
    ),
    ("an earthquake that devastated Christchurch", "New Zealand’s darkest day"),
    ("reducing farm greenhouse gas emissions without hurting food security", "Global Research Alliance"),
    (
        "small States deserve a seat at the Security Council table",
        "they too must contribute at the Council table",
    ),
    ("arms trade treaty and conventional disarmament progress", "conventional disarmament"),
]


@pytest.mark.e2e
def test_questions_about_a_report_find_its_paragraphs_with_number_and_page(
    folder: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """With the real model, over the whole mixed folder: the answer in the top 3, cited right."""
    root, truth = folder
    report: undocs.UNDoc = truth["reports/A_66_874.pdf"]
    build_index(root, tmp_path / "index")
    with Index.open(tmp_path / "index") as index:
        for question, span in REPORT_QUESTIONS:
            para = next(p for p in report.paras if span in p.text)
            hits = index.search(question, k=3)
            found = [h for h in hits if h.doc_id == "reports/A_66_874" and span in h.text]
            assert found, (question, [h.citation() for h in hits])
            assert found[0].paragraph == para.number and found[0].page == para.page, question


@pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="Tesseract is not installed (Debian: tesseract-ocr)"
)
def test_ocr_reads_a_scan_when_asked_and_stays_with_the_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    undocs.write_scanned_pdf(corpus / "A_RES_60_1.pdf")
    (corpus / "note.txt").write_text(
        "The 2005 World Summit endorsed the responsibility to protect populations.\n"
    )
    index = tmp_path / "index"
    first = build_index(corpus, index, embedder=HashingEmbedder(64))
    assert [s.source for s in first.skipped] == ["A_RES_60_1.pdf"]
    assert "--ocr" in first.skipped[0].reason
    # Turned on, OCR retries the scan; the other file is not embedded again.
    on = build_index(corpus, index, embedder=HashingEmbedder(64), ocr=True)
    assert on.new == ["A_RES_60_1.pdf"] and on.skipped == [] and on.unchanged == ["note.txt"]
    with Index.open(index, embedder=HashingEmbedder(64)) as searched:
        hit = searched.search("Each individual State has the responsibility to protect", k=1, mode="lexical")[
            0
        ]
        assert hit.doc_id == "A_RES_60_1" and hit.page == 1 and hit.meta["ocr"] is True
        assert hit.meta["symbol"] == "A/RES/60/1" and "ethnic cleansing" in hit.text
    # The setting stays with the index: a plain index keeps it; --no-ocr drops what it read.
    assert build_index(corpus, index, embedder=HashingEmbedder(64)).embedded == 0
    off = build_index(corpus, index, embedder=HashingEmbedder(64), ocr=False)
    assert [s.source for s in off.skipped] == ["A_RES_60_1.pdf"] and off.documents == 1


def test_an_index_kept_inside_its_corpus_is_not_counted_as_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text(
        "The 2005 World Summit endorsed the responsibility to protect populations.\n"
    )
    build_index(corpus, corpus / "my-index", embedder=HashingEmbedder(64))
    again = build_index(corpus, corpus / "my-index", embedder=HashingEmbedder(64))
    assert again.others == {} and again.skipped == [] and again.unchanged == ["note.txt"]


@pytest.fixture(scope="module")
def folder_index(folder: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mixed folder indexed once with the hashing model, for tests that only search it."""
    index_dir = tmp_path_factory.mktemp("folder-index") / "index"
    build_index(folder[0], index_dir, embedder=HashingEmbedder(64))
    return index_dir


def test_a_symbol_with_a_page_lists_from_that_page(folder_index: Path) -> None:
    with Index.open(folder_index, embedder=HashingEmbedder(64)) as index:
        [result] = index.answer([SearchRequest(query="A/66/PV.11, p. 3", k=2)])
        assert result.plan.listing and result.plan.describe().endswith("from p. 3")
        assert result.fusion is None  # a listing fuses nothing
        assert result.hits[0].page == 3
        assert result.hits[0].passage_id == index.passage("A/66/PV.11, p. 3").passage_id
        with pytest.raises(QueryError, match="has no page 999"):
            index.search("A/66/PV.11, p. 999")


def test_organ_filter_keeps_to_the_organ_a_symbol_names(folder_index: Path) -> None:
    with Index.open(folder_index, embedder=HashingEmbedder(64)) as index:
        council = index.search("famine civilians protection", k=20, scope=Scope(organs=("Security Council",)))
        assert council and all("Security Council" in (h.meta.get("organ") or "") for h in council)
        assembly = index.search(
            "famine civilians protection", k=50, scope=Scope(organs=("General Assembly",))
        )
        kinds = {
            ("debate" if h.meta.get("kind") == "general-debate" else h.meta.get("organ")) for h in assembly
        }
        assert "debate" in kinds and all(k == "debate" or "General Assembly" in k for k in kinds)
