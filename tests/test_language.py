"""Questions in other languages: told from English without a model, said so on stderr and in
the JSON, and their country names read in their own language."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from r2p_search import countries
from r2p_search.countries import mentions
from r2p_search.embedding import HashingEmbedder
from r2p_search.indexer import build_index
from r2p_search.language import detect, notice
from r2p_search.query import understand
from r2p_search.search import Index

from .conftest import run_cli


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Que dit la Libye ?", "fr"),
        ("Qu'a dit le Canada sur la responsabilité de protéger en 2012 ?", "fr"),
        ("Comment la France a-t-elle justifié l'intervention en Libye ?", "fr"),
        ("¿Qué dijo Libia sobre la responsabilidad de proteger?", "es"),
        ("responsabilidad de proteger en Siria", "es"),
        ("¿Cuál fue la posición de los Estados Unidos?", "es"),
        ("ماذا قالت ليبيا عن مسؤولية الحماية؟", "ar"),
        ("Что сказала Россия об ответственности по защите?", "ru"),
        ("利比亚关于保护责任说了什么？", "zh"),
        ("R2P 在利比亚", "zh"),
        ("O que disse o Brasil sobre a responsabilidade de proteger?", "pt"),
    ],
)
def test_questions_in_other_languages_are_told(question: str, language: str) -> None:
    assert detect(question) == language


@pytest.mark.parametrize(
    "question",
    [
        "What did Côte d'Ivoire say about the responsibility to protect?",
        'Who quoted "la responsabilité de protéger" in 2011?',
        "who used la responsabilité de protéger",
        "What did Maurice say about Granada?",
        "El Salvador on gang violence",
        "Sierra Leone and the Special Court",
        "La Paz and Bolivia's statement",
        "Türkiye on the São Tomé and Príncipe statement",
        "non-state actors and the UN in Darfur",
        "Libya",
        "A/66/874 para 11",
        "",
    ],
)
def test_english_questions_are_english_even_with_foreign_names(question: str) -> None:
    assert detect(question) == "en"
    assert notice("en") is None


@pytest.mark.parametrize(
    ("question", "codes"),
    [
        ("Que dit la Libye ?", {"LBY"}),
        ("¿Qué dijo Libia sobre la responsabilidad de proteger?", {"LBY"}),
        ("Quelle a été la position de Maurice sur la Libye ?", {"MUS", "LBY"}),
        ("¿Qué dijo Granada sobre la responsabilidad de proteger?", {"GRD"}),
        ("Qu'a dit la Russie de la Corée ?", {"RUS", "KOR", "PRK"}),  # short names the catalogue lacks
        ("Que dit la Côte d'Ivoire sur la Syrie ?", {"CIV", "SYR"}),
        ("ماذا قالت ليبيا عن مسؤولية الحماية؟", {"LBY"}),
        ("موقف الولايات المتحدة من مسؤولية الحماية في سوريا", {"USA", "SYR"}),
        ("ماذا قيل عن وليبيا وللسودان؟", {"LBY", "SDN"}),  # "and Libya", "to the Sudan"
        ("ماذا قالت لِيبِيا؟", {"LBY"}),  # vowel marks
        ("Что говорили США о Сирии и Ливию?", {"USA", "SYR", "LBY"}),  # Russian declines names
        ("Что сказала Нигерия о Нигере?", {"NGA", "NER"}),
        ("美国和中国在叙利亚问题上的立场", {"USA", "CHN", "SYR"}),
        ("索马里和印度尼西亚", {"SOM", "IDN"}),  # not Mali inside Somalia, nor India inside Indonesia
    ],
)
def test_countries_are_named_in_the_questions_language(question: str, codes: set[str]) -> None:
    understood = understand(question, max_year=2024)
    assert set(understood.scope.countries + understood.topics) == codes
    assert understood.language != "en"


def test_names_that_are_english_words_are_countries_only_in_another_language() -> None:
    for question in ("What did Maurice say about Granada?", "The Alhambra in Granada and Maurice Bishop"):
        understood = understand(question, max_year=2024)
        assert (understood.scope.countries, understood.topics, understood.language) == ((), (), "en")
    # A short name is a common word too: lower case, it is not a country.
    assert mentions("Что того хотела малая страна?", "ru") == []
    assert [m.codes for m in mentions("la posición de cuba y de Cuba", "es")] == [("CUB",)]
    # Offsets are the question's own, whatever folding did to vowel marks.
    found = mentions("ماذا قالت لِيبِيا؟", "ar")
    assert [m.text for m in found] == ["لِيبِيا"]


def test_a_language_without_translations_is_read_with_the_english_names() -> None:
    assert [m.codes for m in mentions("Libya et la Syrie", "xx")] == [("LBY",)]


def test_translations_are_read_only_for_a_question_in_another_language() -> None:
    countries._translated.cache_clear()
    understand("What did Maurice say about Granada in 2011?", max_year=2024)
    assert countries._translated.cache_info().currsize == 0
    start = time.perf_counter()
    assert understand("Que dit la Libye ?", max_year=2024).topics == ("LBY",)
    assert countries._translated.cache_info().currsize == 1
    # Generous for a shared machine: reading a catalogue takes milliseconds, not a model's load.
    assert time.perf_counter() - start < 0.5


def test_a_question_in_another_language_is_searched_with_its_countries_english_names() -> None:
    understood = understand("Que dit la Libye ?", max_year=2024)
    assert understood.english_names() == "Libya"
    assert understand("Qu'a dit le Canada ?", max_year=2024).english_names() == ""
    assert understand("What did Libya say?", max_year=2024).english_names() == ""


@pytest.fixture
def index_dir(make_corpus: Callable, tmp_path: Path) -> Path:
    corpus = make_corpus(
        {
            "2011/LBY_66_2011.txt": "Libya thanks the people who stood with the Libyan revolution.\n\n"
            "Debt relief and financing for development remain our priorities.\n",
            "2011/NOR_66_2011.txt": "Nuclear disarmament deserves renewed commitment.\n\n"
            "Climate change threatens small island developing States.\n",
            "2011/CHL_66_2011.txt": "Famine and drought threaten the harvests of farmers.\n\n"
            "The protection of civilians is a duty of every State.\n",
        }
    )
    build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    return tmp_path / "index"


def test_cli_says_on_stderr_and_in_json_that_the_question_is_not_english(index_dir: Path) -> None:
    common = ("--index", str(index_dir))
    french = run_cli("search", "Que dit la Libye ?", *common, "--json")
    assert french.returncode == 0, french.stderr
    assert "seems to be in French" in french.stderr and "reads English" in french.stderr
    found = json.loads(french.stdout)
    assert found["understood"]["language"] == "fr"
    assert found["understood"]["countries_spoken_of"] + found["understood"]["countries"] == ["LBY"]
    # Searched with the English name, the passage about Libya comes first.
    assert found["understood"]["searched_text"] == "Que dit la Libye ? Libya"
    assert found["results"][0]["doc_id"] == "2011/LBY_66_2011"
    literal = json.loads(run_cli("search", "Que dit la Libye ?", *common, "--json", "--literal").stdout)
    assert literal["understood"]["language"] == "fr"
    english = run_cli("search", "What did Libya say?", *common, "--json")
    assert json.loads(english.stdout)["understood"]["language"] == "en"
    assert "reads English" not in english.stderr
    text = run_cli("search", "¿Qué dijo Libia?", *common)
    assert text.returncode == 0 and "seems to be in Spanish" in text.stderr
    assert "reads English" not in text.stdout
    line = run_cli("timeline", "مسؤولية الحماية", *common, "--threshold", "0.1")
    assert line.returncode == 0 and "seems to be in Arabic" in line.stderr


SPEECHES_2011 = ["LBY_66_2011", "SYR_66_2011", "PRY_66_2011", "COL_66_2011", "CHN_66_2011", "RUS_66_2011"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    "question",
    ["Que dit la Libye ?", "¿Qué dijo Libia?", "ماذا قيل عن ليبيا؟", "Что говорили о Ливии?", "利比亚的局势"],
)
def test_a_question_in_another_language_finds_the_country_it_names_with_the_real_model(
    real_index: Index, question: str
) -> None:
    # Searched without the country's English name, the model matches such a question on little
    # it understands: the French, Spanish and Russian ones found fewer than three of five here.
    hits = real_index.search(question, k=5)
    assert sum("Liby" in h.text for h in hits) >= 3, [(h.passage_id, h.text[:80]) for h in hits]


@pytest.fixture(scope="module")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    from r2p_search.embedding import load_embedder

    from .conftest import UNGDC

    if not UNGDC.is_dir():
        pytest.skip(f"real General Debate files not found at {UNGDC}")
    root = tmp_path_factory.mktemp("languages")
    corpus = root / "corpus" / "2011"
    corpus.mkdir(parents=True)
    for name in SPEECHES_2011:
        shutil.copy(UNGDC / "2011" / f"{name}.txt", corpus / f"{name}.txt")
    model = load_embedder()
    build_index(root / "corpus", root / "index", embedder=model)
    with Index.open(root / "index", embedder=model) as index:
        yield index
