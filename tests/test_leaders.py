"""Leaders mined from the speeches at build time, and read in questions as their country."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from r2p_search.embedding import HashingEmbedder
from r2p_search.indexer import build_index
from r2p_search.leaders import RULES, Leaders, mine
from r2p_search.query import leader_era, understand
from r2p_search.request import SearchRequest
from r2p_search.search import Index
from r2p_search.store import PASSAGES_DB, _sha256_file, read_manifest, verify_index, write_manifest

from .test_indexer import CountingEmbedder

PASSAGES = [
    ("We thank President Lula of Brazil for his leadership on hunger.", "NOR", 2004),
    ("As President Lula has said, hunger is the worst weapon of mass destruction.", "BRA", 2005),
    ("President Lula da Silva of Brazil launched the action against hunger.", "FRA", 2006),
    ("German Chancellor Angela Merkel opened the borders to refugees.", "NGA", 2015),
    ("President Ellen Johnson-Sirleaf of Liberia rebuilt the country.", "GHA", 2008),
    ("We salute President Ellen Johnson-Sirleaf of Liberia.", "SLE", 2009),
    ("We welcome the words of Chancellor Merkel on refugees in Europe.", "AUT", 2016),
    # Two kings Abdullah: the name alone says neither country.
    ("King Abdullah of Jordan spoke of the Holy Sites.", "EGY", 2010),
    ("King Abdullah of Saudi Arabia proposed interfaith dialogue.", "BHR", 2011),
    # Its own speeches alone name a leader: not enough to tell it from a foreign one.
    ("President Abbas has offered negotiations.", "ISR", 2012),
    ("President Abbas has offered negotiations again.", "ISR", 2013),
    # Not names: titles of office, the President of the Assembly.
    ("We congratulate the President of the General Assembly, Mr. Jean Ping.", "GAB", 2004),
    ("Mr. President, the Security Council must act.", "USA", 2004),
]


def test_mined_leaders_have_the_country_said_beside_their_name_and_its_years() -> None:
    found = {leader.key: leader for leader in mine(PASSAGES)}
    assert found["lula"].country == "BRA"
    assert "lula da silva" not in found  # written so once: it may be a misreading
    assert (found["lula"].first_year, found["lula"].last_year) == (2004, 2005)
    assert found["merkel"].country == "DEU" and found["merkel"].name == "Chancellor Angela Merkel"
    assert "abdullah" not in found
    assert "abbas" not in found
    assert not {"mr", "the", "general", "security"} & set(found)


def test_a_speaker_in_the_metadata_decides_over_mentions() -> None:
    mentioned = [("President Kagame of Uganda spoke.", "KEN", 2004)] * 3
    found = {x.key: x for x in mine(mentioned, [("Paul Kagame", "RWA", 2010)])}
    assert found["kagame"].country == "RWA"


@pytest.mark.parametrize(
    ("question", "speakers", "spoken_of"),
    [
        ("What did Merkel say about refugees?", ("DEU",), ()),
        ("Lula on hunger", ("BRA",), ()),
        ("How did Chancellor Merkel's government describe the refugee crisis?", ("DEU",), ()),
        ("What did President Lula da Silva say about trade?", ("BRA",), ()),
        # Written with a hyphen in the speeches, without one in the question.
        ("How did Ellen Johnson Sirleaf's government answer the commission?", ("LBR",), ()),
        # A leader spoken of is a topic, as a country would be: the speaker is France.
        ("What did France say about Merkel's refugee policy?", ("FRA",), ("DEU",)),
        # A leader's name as a label is what is spoken of: the government of Brazil acts here.
        ("Which country condemned the killing of protesters by the Lula government?", (), ("BRA",)),
        # Not a name the table holds, or a word that only looks like one.
        ("What did Abdullah say about the Holy Sites?", (), ()),
        ("How did Norway speak of hunger?", ("NOR",), ()),
    ],
)
def test_leaders_in_questions_are_read_as_their_country(
    question: str, speakers: tuple[str, ...], spoken_of: tuple[str, ...]
) -> None:
    leaders = Leaders(
        {x.key: (x.name, x.country, x.first_year, x.last_year, x.mentions) for x in mine(PASSAGES)}
    )
    understood = understand(question, max_year=2024, leaders=leaders)
    assert (understood.scope.countries, understood.topics) == (speakers, spoken_of)
    assert understand(question, max_year=2024).scope.countries == tuple(
        c for c in speakers if c in ("FRA", "NOR")
    )


def speeches() -> dict[str, str]:
    hunger = "Hunger and poverty must end; we support a global fund against hunger."
    filler = "Reform of the Security Council is overdue and must be pursued."
    return {
        "2004/NOR_59_2004.txt": f"We thank President Lula of Brazil for his leadership.\n\n{filler}\n",
        "2005/FRA_60_2005.txt": f"President Lula of Brazil called for action on hunger.\n\n{filler}\n",
        "2005/BRA_60_2005.txt": f"{hunger}\n\n{filler}\n",
        "2005/IND_60_2005.txt": f"{hunger}\n\n{filler}\n",
        "2015/BRA_70_2015.txt": f"{filler}\n\nClimate change threatens us all.\n",
    }


@pytest.fixture
def leaders_index(make_corpus: Callable, tmp_path: Path) -> Path:
    build_index(make_corpus(speeches()), tmp_path / "index", embedder=HashingEmbedder(64))
    return tmp_path / "index"


def test_the_build_keeps_its_leaders_and_a_question_naming_one_favours_the_country(
    leaders_index: Path,
) -> None:
    manifest = read_manifest(leaders_index)
    assert manifest is not None
    with sqlite3.connect(leaders_index / manifest.generation / PASSAGES_DB) as db:
        assert db.execute("SELECT country FROM leaders WHERE key = 'lula'").fetchone() == ("BRA",)
    assert verify_index(leaders_index).ok
    with Index.open(leaders_index, embedder=HashingEmbedder(64)) as index:
        [result] = index.answer([SearchRequest(query="What did Lula say about hunger?", k=3)])
        assert result.plan.favour == ("BRA",)
        assert result.hits[0].meta["country"] == "BRA"
        understood = result.to_json()["understood"]
        assert understood["leaders"] == [
            # Mentioned twice: too seldom for its years to date the question.
            {"name": "Lula", "country": "BRA", "speaks": True, "years": [None, None]}
        ]
        assert not result.plan.era
        assert result.hits[0].meta["year"] == 2005
        assert "Brazil" in result.plan.text
        assert result.plan.describe() == 'country: Brazil (favoured, for "Lula")'
        assert understood["unknown_speakers"] == []
        # A name where the speaker goes that the index does not know is said to be searched as words.
        [unknown] = index.answer([SearchRequest(query="What did Merkel say about hunger?", k=3)])
        assert unknown.to_json()["understood"]["unknown_speakers"] == ["Merkel"]
        assert (
            unknown.plan.describe() == '"Merkel": no country or leader this index knows (searched as words)'
        )
        for question in ("Merkel on hunger", "Hunger on the agenda", "What did NATO say about hunger?"):
            named = index.plan(question).understood.unknown
            assert named == (("Merkel",) if question.startswith("Merkel") else ()), question


@pytest.mark.parametrize("older", ["no table", "other rules"])
def test_a_build_from_before_the_leaders_table_or_its_rules_is_written_again_without_embedding(
    leaders_index: Path, make_corpus: Callable, older: str
) -> None:
    manifest = read_manifest(leaders_index)
    assert manifest is not None
    with sqlite3.connect(leaders_index / manifest.generation / PASSAGES_DB) as db:
        if older == "no table":
            db.execute("DROP TABLE leaders")
        else:
            db.execute("DELETE FROM leaders")
            db.execute(f"PRAGMA user_version = {RULES - 1}")
    # The manifest made true of the changed database, as an older version would have written it.
    path = leaders_index / manifest.generation / PASSAGES_DB
    entry = manifest.artifacts[f"{manifest.generation}/{PASSAGES_DB}"]
    entry.update(sha256=_sha256_file(path), size=path.stat().st_size, mtime_ns=path.stat().st_mtime_ns)
    write_manifest(leaders_index, manifest)
    counting = CountingEmbedder(64)
    report = build_index(make_corpus(speeches()), leaders_index, embedder=counting)
    assert report.embedded == 0
    after = read_manifest(leaders_index)
    assert after is not None and after.generation != manifest.generation
    with sqlite3.connect(leaders_index / after.generation / PASSAGES_DB) as db:
        assert db.execute("SELECT count(*) FROM leaders").fetchone()[0] > 0


def test_a_leader_mentioned_often_dates_the_question_and_one_mentioned_seldom_does_not() -> None:
    leaders = Leaders(
        {
            "mandela": ("President Nelson Mandela", "ZAF", 1994, 1999, 58),
            "kagame": ("President Kagame", "RWA", 2004, 2004, 4),
        }
    )
    [(often, years)] = leaders.in_question("What did President Mandela say about reconciliation?")
    assert (often.codes, often.text, years) == (("ZAF",), "President Mandela", (1994, 1999))
    assert dict(leader_era(years)) == {1993: 0.5, **dict.fromkeys(range(1994, 2000), 1.0), 2000: 0.5}
    [(_, seldom)] = leaders.in_question("Kagame on genocide")
    assert seldom == (None, None) and leader_era(seldom) == ()
    # A first name the table knows, inside a longer name, is someone else.
    assert leaders.in_question("What did Mandela Barnes say?") == []


def test_a_leader_only_its_own_country_names_is_kept_when_it_names_them_speech_after_speech() -> None:
    own = [
        (f"President Fujimori has led Peru through reform, year {y}.", "PER", y) for y in (1991, 1992, 1993)
    ]
    foreign = [("We met President Toledo last week.", "CHL", 2002), ("President Toledo spoke.", "ARG", 2003)]
    found = {x.key: x for x in mine(own + foreign)}
    assert found["fujimori"].country == "PER"  # "Peru" in the sentence is its own name
    assert "toledo" not in found  # two speeches of two countries: neither its own


def test_the_un_form_title_of_country_comma_name_says_the_country() -> None:
    passages = [
        ("We welcome the Prime Minister of Malaysia, Mr. Mahathir Mohamad, to the summit.", "SGP", 2019),
        ("As stated by my Prime Minister, Mr. Mahathir Mohamad, at the Assembly.", "MYS", 2018),
        ("We thank the President of the General Assembly, Mr. Jean Ping, for his work.", "GAB", 2004),
        ("The President of the General Assembly, Mr. Jean Ping, opened the debate.", "TGO", 2005),
    ]
    found = {x.key: x for x in mine(passages)}
    assert found["mahathir mohamad"].country == "MYS"
    assert "jean ping" not in found  # the Assembly is no country


def test_the_un_forms_with_a_comma_say_the_country_and_the_assembly_s_president_is_no_leader() -> None:
    passages = [
        # The title, a comma and an honorific: "Israel's Prime Minister, Mr. Netanyahu".
        ("Israel’s Prime Minister, Mr. Netanyahu, announced new settlements.", "PSE", 2015),
        ("The Israeli Prime Minister, Mr. Netanyahu, spoke of Iran.", "JOR", 2012),
        # The name first, then the title of a country.
        ("We thank Dr. Mohamad Mahathir, Prime Minister of Malaysia, for his views.", "IDN", 1999),
        ("As Dr. Mohamad Mahathir, Prime Minister of Malaysia, has said, trade must be fair.", "PAK", 2000),
        # A foreign minister, by the title the UN gives them.
        ("We heard the Minister for Foreign Affairs of Russia, Sergei Lavrov, on Syria.", "USA", 2013),
        ("As the Minister for Foreign Affairs of Russia, Sergei Lavrov, said, talks go on.", "ARM", 2013),
        # "Mr. President, Mr. X" addresses the President of the Assembly, whatever their country.
        ("I congratulate you, Mr. President, Mr. Samuel Insanally, on your election.", "FRA", 1993),
        ("We thank you, Mr. President, Mr. Samuel Insanally, for your work.", "BRA", 1993),
        # The Assembly's President, elected from a country for a session, is no leader of it.
        ("We congratulate President Insanally of Guyana on his election to the presidency.", "DNK", 1993),
        ("We thank President Insanally of Guyana for guiding this session.", "NOR", 1994),
        (
            "I congratulate the President, His Excellency Mr. Csaba Korosi of Hungary, on being chosen "
            "to lead the seventy-seventh session.",
            "SSD",
            2022,
        ),
        ("We thank our President, Mr. Csaba Korosi of Hungary, for his able leadership.", "GHA", 2023),
    ]
    found = {x.key: x for x in mine(passages)}
    assert found["netanyahu"].country == "ISR"
    assert found["lavrov"].country == "RUS"
    assert found["lavrov"].name == "Minister for Foreign Affairs Sergei Lavrov"
    assert found["mahathir"].country == "MYS" and found["mohamad mahathir"].country == "MYS"
    assert "insanally" not in found and "samuel insanally" not in found
    assert "korosi" not in found


def test_a_question_may_name_the_first_or_last_words_of_a_longer_name() -> None:
    leaders = Leaders(
        {
            "evo morales ayma": ("President Evo Morales Ayma", "BOL", 2006, 2019, 12),
            "ayma": ("President Evo Morales Ayma", "BOL", 2006, 2019, 12),
            "luiz inacio lula da silva": ("President Luiz Inácio Lula da Silva", "BRA", 2003, 2010, 30),
            "silva": ("President Luiz Inácio Lula da Silva", "BRA", 2003, 2010, 30),
            # Two first names that begin two leaders' names: they name neither.
            "juan carlos wasmosy": ("President Juan Carlos Wasmosy", "PRY", 1993, 1998, 5),
            "juan carlos varela": ("President Juan Carlos Varela", "PAN", 2014, 2019, 5),
        }
    )
    [(morales, years)] = leaders.in_question("What did Evo Morales say about coca?")
    assert (morales.codes, morales.text, years) == (("BOL",), "Evo Morales", (2006, 2019))
    [(lula, _)] = leaders.in_question("Lula da Silva on hunger")
    assert lula.codes == ("BRA",)
    assert leaders.in_question("What did Juan Carlos say?") == []
