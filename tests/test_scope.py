"""Countries and years: names and aliases, questions understood, filters inside retrieval,
answers grouped by country, and the timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from r2p_search.countries import mentions, resolve
from r2p_search.embedding import HashingEmbedder
from r2p_search.errors import QueryError
from r2p_search.indexer import build_index
from r2p_search.query import Scope, scope_from_options, understand
from r2p_search.search import Index
from r2p_search.timeline import timeline

from .conftest import run_cli

# A small General Debate: many speeches on other things, and the topic in a few countries' years.
TOPIC = "The responsibility to protect populations from genocide and mass atrocities must be upheld."
FILLER = [
    "Climate change and rising seas threaten small island developing States in the Pacific.",
    "Debt relief and financing for development remain the priorities of our delegation.",
    "Nuclear disarmament and the non-proliferation treaty deserve renewed commitment.",
]
SPEAKERS = {
    # file stem: does the speech speak to the topic?
    "CAN_66_2011": True,
    "CHL_66_2011": False,
    "BRA_66_2011": True,
    "CAN_67_2012": False,
    "CHL_67_2012": False,
    "BRA_67_2012": False,
    "CIV_74_2019": True,  # the rare pair: Ivory Coast in 2019, one speech
    "CHL_74_2019": False,
    "MMR_74_2019": False,
}


def speech(stem: str, topic: bool) -> str:
    paragraphs = FILLER + ([TOPIC] if topic else [])
    return "\n\n".join(paragraphs) + "\n"


@pytest.fixture
def index_dir(make_corpus: Callable, tmp_path: Path) -> Path:
    files = {f"{stem[-4:]}/{stem}.txt": speech(stem, topic) for stem, topic in SPEAKERS.items()}
    corpus = make_corpus(files)
    build_index(corpus, tmp_path / "index", embedder=HashingEmbedder(64))
    return tmp_path / "index"


def open_index(index_dir: Path) -> Index:
    return Index.open(index_dir, embedder=HashingEmbedder(64))


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("SYR", ("SYR",)),
        ("syria", ("SYR",)),
        ("Syrian Arab Republic", ("SYR",)),
        ("the Ivory Coast", ("CIV",)),
        ("Côte d'Ivoire", ("CIV",)),
        ("Burma", ("MMR",)),
        ("Russia", ("RUS",)),
        ("Iran", ("IRN",)),
        ("North Korea", ("PRK",)),
        ("Republic of Korea", ("KOR",)),
        ("UK", ("GBR",)),
        ("Türkiye", ("TUR",)),
        ("Turkey", ("TUR",)),
        ("Yugoslavia", ("YUG",)),
        ("EU", ("EU",)),
        ("Narnia", ()),
    ],
)
def test_country_names_aliases_and_codes_resolve(value: str, codes: tuple[str, ...]) -> None:
    assert resolve(value) == codes


def test_mentions_prefer_the_longest_name_and_need_capitals_for_us() -> None:
    found = mentions("South Sudan, Niger and Nigeria; let us ask the US about Papua New Guinea")
    assert [m.codes for m in found] == [("SSD",), ("NER",), ("NGA",), ("USA",), ("PNG",)]


@pytest.mark.parametrize(
    ("question", "countries", "years", "rest"),
    [
        (
            "What did Canada say in 2012 about famine?",
            ("CAN",),
            (2012, 2012),
            "What did Canada say about famine?",
        ),
        (
            "In 2019, which government warned of rising seas?",
            (),
            (2019, 2019),
            "which government warned of rising seas?",
        ),
        ("since 2011, how has the Ivory Coast spoken of reconciliation", ("CIV",), (2011, None), None),
        ("between 2008 and 2010 what did Burma say of reconciliation", ("MMR",), (2008, 2010), None),
        ("in the 1990s, how did Rwanda speak of the UN", ("RWA",), (1990, 1999), None),
        ("at the 66th session, what did Brazil propose", ("BRA",), (2011, 2011), None),
        (
            "In the sixty-sixth session of the General Assembly, what did Chile say?",
            ("CHL",),
            (2011, 2011),
            "what did Chile say?",
        ),
        ("during the Fiftieth Session, who spoke of Rwanda", (), (1995, 1995), "who spoke of Rwanda"),
        ("at the seventy ninth General Debate", (), (2024, 2024), None),
        ("the 2005 World Summit commitment to protect", (), (None, None), None),
        ("the 2030 Agenda for Sustainable Development", (), (None, None), None),
        ("how has Rwanda spoken of the 1994 genocide", ("RWA",), (None, None), None),
        ("aid after the 2010 earthquake", (), (None, None), None),
        ("At the 2017 debate, how did Burma respond?", ("MMR",), (2017, 2017), "how did Burma respond?"),
        ("what did Chile say at the 2019 General Assembly", ("CHL",), (2019, 2019), "what did Chile say"),
        ("What did Chile say in its 2012 statement about debt?", ("CHL",), (2012, 2012), None),
        # A year that dates an event the speech recalls scopes nothing: it is evidence.
        ("Kenya recalls that it warned of the locust swarms back in 2004", ("KEN",), (None, None), None),
        ("how Colombia compares today's talks with its own 1998 peace accord", ("COL",), (None, None), None),
        ("What did Brazil say about the elections of 2006 in Haiti?", ("BRA",), (None, None), None),
        ("Which country had warned in 2004 of a famine?", (), (None, None), None),
        ("who said the drought was no repeat of the 1984-1985 famine years", (), (None, None), None),
        (
            "Which government described a programme it launched in 2005 against the desert?",
            (),
            (None, None),
            None,
        ),
        ("Syria 2011-2013", (), (2011, 2013), None),
        # A country first, with nothing saying it speaks, is what the question is about.
        ("Libya resolution 1973", (), (None, None), "Libya resolution 1973"),
        ("protect civilians", (), (None, None), "protect civilians"),
    ],
)
def test_questions_are_understood(
    question: str, countries: tuple[str, ...], years: tuple[int | None, int | None], rest: str | None
) -> None:
    understood = understand(question, max_year=2024)
    assert understood.scope.countries == countries
    assert (understood.scope.year_from, understood.scope.year_to) == years
    if rest is not None:
        assert understood.rest == rest
    if understood.year_reading == "evidence":
        assert years == (None, None) and understood.evidence and understood.rest == question
    elif years != (None, None):
        assert understood.year_reading == "scope" and not understood.evidence


def test_a_year_read_as_evidence_favours_its_passages_and_excludes_none(index_dir: Path) -> None:
    question = "who spoke of the responsibility to protect populations from genocide, as back in 2019"
    with open_index(index_dir) as index:
        plan = index.plan(question)
        assert plan.scope.years_text() is None and dict(plan.era)[2019] == 1.0
        assert "year 2019 as evidence, not a filter" in plan.describe()

        def topical(hits: list) -> list[int]:
            return [h.meta["year"] for h in hits if "responsibility to protect" in h.text]

        # The same passage in three speeches (shown once): taken literally, the earliest row's
        # (2011); with the evidence, 2019's.
        assert topical(index.search(question, k=10, literal=True))[0] == 2011
        assert topical(index.search(question, k=10))[0] == 2019
        # No speech of 2012 speaks of it: a wall would leave nothing; evidence excludes nothing.
        assert topical(index.search(question.replace("2019", "2012"), k=10)) == [2011]


@pytest.mark.parametrize(
    ("question", "speakers", "spoken_of"),
    [
        ("who invoked R2P over Libya?", (), ("LBY",)),
        ("what about Syria", (), ("SYR",)),
        ("What did France say about Syria and Libya?", ("FRA",), ("SYR", "LBY")),
        ("did Canada and Chile speak on famine in Somalia", ("CAN", "CHL"), ("SOM",)),
        ("what did Vietnam urge on the South China Sea", ("VNM",), ("CHN",)),
        ("Russia on Ukraine", ("RUS",), ("UKR",)),
        ("Libya resolution 1973", (), ("LBY",)),
        # A country alone, or first with nothing saying it speaks, is spoken of, by anyone.
        ("Syria", (), ("SYR",)),
        ("Syria chemical weapons", (), ("SYR",)),
        ("Syria's war", (), ("SYR",)),
        # First, and the words after it say it speaks.
        ("Syria's statement on refugees", ("SYR",), ()),
        ("Chile says debt relief is overdue", ("CHL",), ()),
        ("Canada and Chile on debt relief", ("CAN", "CHL"), ()),
        ("which countries criticised Russia over Ukraine", (), ("RUS", "UKR")),
        ("statements by the UK on Syria", ("GBR",), ("SYR",)),
        ("what Russia said about Ukraine", ("RUS",), ("UKR",)),
        # A possessive is what it owns, unless what it owns speaks for it.
        ("What did Guyana object to when Venezuela's rival camps agreed?", ("GUY",), ("VEN",)),
        ("What did Iran's president say about sanctions?", ("IRN",), ()),
        ("What did Ivory Coast's new president say about reconciliation?", ("CIV",), ()),
        # A people's adjective names its country before a word for those who speak for it.
        ("What did the Brazilian president say about Libya?", ("BRA",), ("LBY",)),
        ("how did the Ivorian government describe reconciliation", ("CIV",), ()),
        ("the North Korean delegation's reply to sanctions", ("PRK",), ()),
        ("What did the US say about the Syrian regime?", ("USA",), ("SYR",)),
        ("what did the Congolese government say", ("COD", "COG"), ()),
        ("What did the American delegation propose?", ("USA",), ()),
        # Without such a word, or inside a wider adjective, it names nothing.
        ("how did Syrian refugees fare in Lebanon", (), ("LBN",)),
        ("Which Latin American president spoke of drug certification?", (), ()),
        ("French-speaking countries on education", (), ()),
    ],
)
def test_countries_spoken_of_are_told_from_countries_that_speak(
    question: str, speakers: tuple[str, ...], spoken_of: tuple[str, ...]
) -> None:
    understood = understand(question, max_year=2024)
    assert (understood.scope.countries, understood.topics) == (speakers, spoken_of)


def test_demonym_data_is_read_only_when_a_question_may_use_an_adjective() -> None:
    from r2p_search import countries

    countries._demonyms.cache_clear()
    countries._demonyms_by_first_word.cache_clear()
    understand("In 2019, which government warned of rising seas?", max_year=2024)
    assert countries._demonyms.cache_info().currsize == 0
    assert understand("what did the Burmese government say", max_year=2024).scope.countries == ("MMR",)
    assert countries._demonyms.cache_info().currsize == 1


def test_a_damaged_package_data_file_counts_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from r2p_search.countries import _package_json

    package = tmp_path / "broken_data_pkg"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data" / "countries.json").write_text('[{"nationality": "Ivor')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _package_json("broken_data_pkg", "data/countries.json") is None
    (package / "data" / "countries.json").write_text('[{"nationality": "Ivorian"}]')
    assert _package_json("broken_data_pkg", "data/countries.json") == [{"nationality": "Ivorian"}]
    assert _package_json("no_such_package_here", "data/countries.json") is None


def test_options_build_a_scope_and_refuse_nonsense() -> None:
    scope = scope_from_options(["Chile", "CIV"], None, "2005..2015", ["SYR_66_2011"])
    assert scope == Scope(("CHL", "CIV"), 2005, 2015, ("SYR_66_2011",))
    assert scope.describe() == "country: Chile, Côte d'Ivoire; year: 2005-2015; document: SYR_66_2011"
    assert scope_from_options(None, None, "2011..").year_from == 2011
    for bad in (
        {"countries": ["Narnia"]},
        {"years": "2015..2005"},
        {"years": "soon"},
        {"year": 2011, "years": "2011.."},
    ):
        with pytest.raises(QueryError):
            scope_from_options(**bad)


def test_a_rare_country_and_year_still_returns_its_passages(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        # Ten results asked for, one speech in scope: the filter works inside retrieval.
        hits = index.search("small island States", k=10, scope=Scope(("CIV",), 2019, 2019))
        assert hits and {h.doc_id for h in hits} == {"2019/CIV_74_2019"}
        assert index.search("famine", scope=Scope(year_from=2013, year_to=2015)) == []
        by_doc = index.search("debt relief", k=10, scope=Scope(docs=("BRA_67_2012",)))
        assert {h.doc_id for h in by_doc} == {"2012/BRA_67_2012"}
        lexical = index.search("nuclear", k=10, mode="lexical", scope=Scope(year_from=2019, year_to=2019))
        assert lexical and all(h.meta["year"] == 2019 for h in lexical)


def test_bm25_also_gives_the_best_passages_of_a_favoured_country(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        store = index.store
        speakers = {p.row: p.doc_id for p in store.passages_at(list(range(index.size)))}
        # One passage in nine speaks of nuclear disarmament: the top 2 cannot hold them all.
        best = store.lexical('"nuclear"', 2)
        assert len(best) == 2
        rare = [row for row, _ in store.lexical('"nuclear"', 2, Scope(("CIV",)))]
        assert [speakers[r] for r in rare] == ["2019/CIV_74_2019"]
        assert rare[0] not in {r for r, _ in best}  # ties go to earlier rows, so 2011's
        both = store.lexical('"nuclear"', 2, also=Scope(("CIV",)))
        assert {r for r, _ in best} | set(rare) == {r for r, _ in both}
        assert [s for _, s in both] == sorted((s for _, s in both), reverse=True)


def test_years_named_in_a_question_scope_the_search_and_countries_are_favoured(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        hits = index.search("in 2012, who spoke of nuclear disarmament?", k=10)
        assert hits and all(h.meta["year"] == 2012 for h in hits)
        literal = index.search("in 2012, who spoke of nuclear disarmament?", k=10, literal=True)
        assert {h.meta["year"] for h in literal} != {2012}
        favoured = index.search("what did Chile say about debt relief", k=1)
        assert favoured[0].meta["country"] == "CHL"
        # A short query too: the speaker's passages first, though Brazil's match its name.
        short = index.search("Chile on Brazil", k=5)
        assert [h.meta["country"] for h in short[:3]] == ["CHL"] * 3
        # Myanmar is spoken of here, not speaking: its own speech is not lifted.
        plan = index.plan("what did Chile say in 2019 about debt relief for Myanmar")
        assert (plan.favour, plan.understood.topics) == (("CHL",), ("MMR",))
        assert plan.describe() == (
            "year: 2019; country: Chile (favoured); "
            "about: Myanmar (said by anyone; for its own speeches: --country MMR)"
        )
        # With --country, the speeches asked for are Chile's: no hint to ask for Myanmar's.
        kept = index.plan("debt relief for Myanmar", Scope(("CHL",)))
        assert kept.describe() == "country: Chile; about: Myanmar"
        # A year with no documents does not empty the answer.
        assert index.search("in 1850, debt relief", k=3)


def test_by_country_gives_each_countrys_best_passage(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        hits = index.by_country("responsibility to protect populations from genocide", k=10)
    countries = [h.meta["country"] for h in hits]
    assert len(countries) == len(set(countries)) == 5
    assert set(countries[:3]) == {"CAN", "BRA", "CIV"}  # the three that spoke to it, first
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]


def test_timeline_counts_documents_per_year_above_the_threshold(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        result = timeline(index, "responsibility to protect populations from genocide", threshold=0.6)
        by_year = {b.key: b for b in result.buckets}
        assert [b.key for b in result.buckets] == ["2011", "2012", "2019"]
        assert (by_year["2011"].matching_documents, by_year["2011"].documents) == (2, 3)
        assert (by_year["2012"].matching_documents, by_year["2012"].passages) == (0, 0)
        assert by_year["2019"].best is not None and by_year["2019"].best.doc_id == "2019/CIV_74_2019"
        countries = timeline(
            index, "responsibility to protect populations from genocide", by="country", threshold=0.6
        )
        assert [b.key for b in countries.buckets][:3] == ["BRA", "CAN", "CIV"]
        assert countries.buckets[-1].matching_documents == 0
        scoped = timeline(index, "genocide", scope=Scope(year_from=2019, year_to=2019), threshold=0.6)
        assert [b.key for b in scoped.buckets] == ["2019"]
        with pytest.raises(QueryError):
            timeline(index, "genocide", by="decade")


def test_cli_filters_understanding_grouping_and_timeline(index_dir: Path) -> None:
    common = ("--index", str(index_dir), "--json")
    scoped = json.loads(
        run_cli("search", "nuclear", "--country", "Ivory Coast", "--year", "2019", *common).stdout
    )
    assert {h["doc_id"] for h in scoped["results"]} == {"2019/CIV_74_2019"}
    assert scoped["understood"]["countries"] == ["CIV"]
    asked = run_cli("search", "what did Chile say in 2012 about debt?", "--index", str(index_dir))
    assert "understood: year: 2012; country: Chile (favoured)" in asked.stdout
    grouped = json.loads(run_cli("search", "genocide", "--group-by", "country", *common).stdout)
    assert len({h["meta"]["country"] for h in grouped["results"]}) == len(grouped["results"]) == 5
    line = json.loads(
        run_cli("timeline", "genocide and mass atrocities", "--threshold", "0.3", *common).stdout
    )
    assert [b["key"] for b in line["buckets"]] == ["2011", "2012", "2019"]
    text = run_cli("timeline", "genocide and atrocities", "--threshold", "0.3", "--index", str(index_dir))
    assert text.returncode == 0 and "2011" in text.stdout and "█" in text.stdout
    bad = run_cli("search", "x", "--country", "Narnia", "--index", str(index_dir))
    assert bad.returncode == 1 and "unknown country" in bad.stderr
    # A filter the index holds nothing for says which filter kept everything out.
    empty = run_cli("search", "nuclear", "--year", "1999", "--index", str(index_dir))
    assert empty.returncode == 0 and "No passages found within year: 1999." in empty.stdout
    line = json.loads(run_cli("timeline", "nuclear disarmament", *common).stdout)
    best = next(b["best"] for b in line["buckets"] if b["best"])
    assert best["cosine"] == round(best["score"], 4)  # the timeline's best passages carry their cosine


def test_symbol_option_takes_a_symbol_alone() -> None:
    assert scope_from_options(symbols=["S/RES/1973 (2011)"]).symbols == ("S/RES/1973(2011)", "S/RES/1973")
    assert scope_from_options(symbols=["a/66/874–s/2012/578"]).symbols == ("A/66/874", "S/2012/578")
    with pytest.raises(QueryError, match="a symbol alone"):
        scope_from_options(symbols=["A/66/874 para 3"])
    with pytest.raises(QueryError, match="not a UN document symbol"):
        scope_from_options(symbols=["Libya"])


def test_organs_are_named_as_researchers_write_them() -> None:
    assert scope_from_options(organs=["SC", "general assembly", "Security Council"]).organs == (
        "Security Council",
        "General Assembly",
    )
    assert Scope(organs=("Secretariat",)).describe() == "organ: Secretariat"
    with pytest.raises(QueryError, match="unknown organ 'UNICEF'"):
        scope_from_options(organs=["UNICEF"])
