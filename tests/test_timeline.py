"""The timeline: what counts as a passage on the topic, its JSON, and its table in a terminal."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from r2p_search.embedding import HashingEmbedder
from r2p_search.indexer import build_index
from r2p_search.planning import Plan
from r2p_search.present import render_timeline
from r2p_search.query import Scope, Understood
from r2p_search.results import Hit
from r2p_search.search import Index
from r2p_search.timeline import (
    FIXED_THRESHOLD,
    MIN_CALIBRATION,
    Bucket,
    Presence,
    Timeline,
    calibrate,
    presence_for,
    present,
    timeline,
    topic_words,
)

from .conftest import SEED, UNGDC, run_cli

FILLER = [
    "Climate change and rising seas threaten small island developing States in the Pacific.",
    "Debt relief and financing for development remain the priorities of our delegation.",
]
SPEECHES = {
    # The topic's words in order, once in each of two speeches of 2011.
    "2011/CAN_66_2011.txt": "Mass atrocities against civilians must never again be met with silence.",
    "2011/BRA_66_2011.txt": "We recall the mass atrocities of the last century and their victims.",
    # Its words out of order in one, one of its words alone in another.
    "2011/CHL_66_2011.txt": "Atrocities on a mass scale were committed in the region we come from.",
    "2012/CHL_67_2012.txt": "Nuclear disarmament is a matter of mass appeal among our citizens.",
}


@pytest.fixture
def index_dir(make_corpus: Callable, tmp_path: Path) -> Path:
    files = {name: "\n\n".join([*FILLER, line]) + "\n" for name, line in SPEECHES.items()}
    build_index(make_corpus(files), tmp_path / "index", embedder=HashingEmbedder(64))
    return tmp_path / "index"


def open_index(index_dir: Path) -> Index:
    return Index.open(index_dir, embedder=HashingEmbedder(64))


def matching(result: Timeline) -> dict[str, int]:
    return {b.key: b.matching_documents for b in result.buckets}


def test_a_passage_holding_the_topic_as_a_phrase_counts_whatever_its_cosine(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        # No passage reaches a cosine of 0.99: what counts is the phrase, in the passages' own text.
        assert matching(timeline(index, "mass atrocities", threshold=0.99)) == {"2011": 2, "2012": 0}
        assert matching(timeline(index, "the mass atrocities", threshold=0.99)) == {"2011": 2, "2012": 0}
        # Every passage carries its speaker's name in its metadata: that is not the topic's words.
        assert matching(timeline(index, "Brazil", threshold=0.99)) == {"2011": 0, "2012": 0}


def test_all_of_the_topics_words_count_in_any_order_with_their_cosine(index_dir: Path) -> None:
    with open_index(index_dir) as index:
        plan = index.plan("mass atrocities")
        scores = index.scan.scores(index.embed_queries([plan.text])[0])
        doc_of = {
            row: doc_id
            for row, doc_id in index.store.db.execute("SELECT row, doc_id FROM passages").fetchall()
        }

        def docs(presence: Presence) -> set[str]:
            return {doc_of[int(r)].split("/")[-1] for r in np.flatnonzero(present(index, presence, scores))}

        words = Presence(0.99, False, None, ("mass", "atrocities"), words_threshold=-1.0)
        assert docs(words) == {"CAN_66_2011", "BRA_66_2011", "CHL_66_2011"}  # not "mass appeal" alone
        # The words count only with a cosine at or above their threshold.
        assert docs(Presence(0.99, False, None, ("mass", "atrocities"), words_threshold=0.999)) == set()
        assert docs(Presence(0.99, False, "mass atrocities")) == {"CAN_66_2011", "BRA_66_2011"}


def test_calibration_is_robust_to_the_passages_that_speak_to_the_topic() -> None:
    rng = np.random.default_rng(17)
    unrelated = rng.normal(0.2, 0.05, 6000)
    on_topic = np.full(300, 0.8)  # 5% of the index, far out: they must not move the cut
    cut = calibrate(np.concatenate([unrelated, on_topic]))
    assert 0.38 < cut < 0.44  # about 0.2 + 4 x 0.05; a mean and deviation would give 0.54
    assert calibrate(np.concatenate([unrelated, on_topic]), z=2.0) < cut


def test_the_threshold_is_calibrated_per_question_capped_and_given_or_fixed_on_a_small_index() -> None:
    plan = Plan("mass atrocities", Scope(), (), Understood("mass atrocities", "mass atrocities"))
    rng = np.random.default_rng(5)
    low = rng.normal(0.1, 0.04, MIN_CALIBRATION * 4)  # a one-word question: every cosine runs low
    presence = presence_for(plan, low, None)
    assert (
        presence.calibrated
        and presence.threshold == pytest.approx(calibrate(low))
        and presence.threshold < 0.3
    )
    assert presence.phrase == "mass atrocities" and presence.words == ("mass", "atrocities")
    assert presence.words_threshold is not None and presence.words_threshold < presence.threshold
    high = rng.normal(0.45, 0.05, MIN_CALIBRATION * 4)
    assert presence_for(plan, high, None).threshold == FIXED_THRESHOLD  # never stricter than 0.5
    given = presence_for(plan, low, 0.7)
    assert given.threshold == 0.7 and not given.calibrated and given.words  # the words still count
    small = presence_for(plan, low[: MIN_CALIBRATION - 1], None)
    assert small == Presence(FIXED_THRESHOLD, False, "mass atrocities")  # too few to calibrate on
    assert topic_words("What about the mass atrocities?") == ("mass atrocities", ["mass", "atrocities"])
    assert topic_words("what is it") == (None, [])


def test_a_large_index_is_calibrated_and_says_so(make_corpus: Callable, tmp_path: Path) -> None:
    words = "peace trade health water schools roads debt farms ports energy courts women youth".split()
    files = {
        f"2011/C{n:02d}_66_2011.txt": "\n\n".join(
            f"Our {words[(n + i) % 13]} and {words[(n * 3 + i) % 13]} policies, year {i}." for i in range(30)
        )
        for n in range(20)
    }
    build_index(make_corpus(files), tmp_path / "index", embedder=HashingEmbedder(64))
    with open_index(tmp_path / "index") as index:
        result = timeline(index, "health and water")
        scores = index.scan.scores(index.embed_queries(["health and water"])[0])
    assert len(scores) >= MIN_CALIBRATION
    assert result.presence.calibrated
    assert result.threshold == pytest.approx(min(calibrate(scores), FIXED_THRESHOLD))
    assert result.to_json()["presence"]["calibrated"] is True


def test_timeline_json_reads_the_question_as_search_json_does(index_dir: Path) -> None:
    common = ("--index", str(index_dir), "--json")
    line = json.loads(run_cli("timeline", "mass atrocities in 2011", *common).stdout)
    search = json.loads(run_cli("search", "mass atrocities in 2011", *common).stdout)
    assert isinstance(line["understood"], dict)
    assert line["understood"] == search["understood"]
    assert line["understood"]["year_from"] == 2011 and line["understood"]["searched_text"]
    assert line["presence"]["phrase"] == line["understood"]["searched_text"].lower()
    assert line["threshold"] == line["presence"]["threshold"]


def _hit(country: str, text: str) -> Hit:
    return Hit(
        rank=1,
        score=0.61,
        passage_id=f"2011/{country[:3].upper()}_66_2011:4",
        doc_id=f"2011/{country[:3].upper()}_66_2011",
        title=f"{country}, General Debate, 66th session (2011)",
        date=None,
        source=f"2011/{country[:3].upper()}_66_2011.txt",
        paragraph=4,
        text=text,
        n=4,
        meta={"country_name": country, "year": 2011},
    )


def test_the_best_passage_has_room_at_80_columns() -> None:
    passage = (
        "We have discussed many things this week. Much is said about the responsibility to protect, "
        "yet little is said about responsibility while protecting. These concepts must mature together."
    )
    plan = Plan("the responsibility to protect", Scope(), (), Understood("x", "x"))
    buckets = [
        Bucket("2010", "2010", 189, 11, 14, _hit("Russian Federation", passage)),
        Bucket("2011", "2011", 194, 12, 15, _hit("Brazil", passage)),
        Bucket("2012", "2012", 195, 0, 0, None),
    ]
    result = Timeline(
        "the responsibility to protect",
        "year",
        Presence(0.47, True, "responsibility to protect"),
        plan,
        buckets,
    )
    out = io.StringIO()
    render_timeline(Console(file=out, width=80, color_system=None), result)
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "a passage counts at cosine >= 0.47 (calibrated)" in out.getvalue()
    # The sentence that speaks to the topic, not the passage's first words, and 48 characters of
    # it or more, after the longest name (at 80 columns they once had 15).
    shown = [line for line in lines if "Much is said" in line]
    assert len(shown) == 2 and all("Much is said about the responsibility to protect" in s for s in shown)
    assert any(line.strip().startswith("Russian Federation: Much is said") for line in lines)
    wide = io.StringIO()
    render_timeline(Console(file=wide, width=200, color_system=None), result)
    # With room to spare, the passage stays on its bar's line.
    assert any(
        line.startswith("2011 █") and "Brazil: Much is said" in line for line in wide.getvalue().splitlines()
    )


@pytest.mark.e2e
def test_the_issues_misses_now_count_with_the_real_model(tmp_path: Path) -> None:
    from r2p_search.embedding import load_embedder

    if not UNGDC.is_dir():
        pytest.skip(f"real General Debate files not found at {UNGDC}")
    corpus = tmp_path / "corpus"
    (corpus / "2011").mkdir(parents=True)
    shutil.copy(SEED, corpus / SEED.name)  # the Secretary-General: "training sessions on genocide prevention"
    for name in ("EU_66_2011", "ARG_66_2011", "AUT_66_2011"):
        shutil.copy(UNGDC / "2011" / f"{name}.txt", corpus / "2011" / f"{name}.txt")
    model = load_embedder()
    build_index(corpus, tmp_path / "index", embedder=model)
    with Index.open(tmp_path / "index", embedder=model) as index:
        # The EU: "The principle of 'responsibility to protect' was put into action" (cosine 0.43-0.45),
        # beside the Secretary-General's speech on it.
        r2p = timeline(index, "the responsibility to protect")
        # Argentina: "the prosecution of those responsible for committing crimes and acts of genocide";
        # the Secretary-General: "training sessions on genocide prevention". Austria speaks of neither.
        genocide = timeline(index, "genocide")
    assert [(b.key, b.documents) for b in r2p.buckets] == [("2011", 4)]
    assert r2p.buckets[0].matching_documents == 2
    assert genocide.buckets[0].matching_documents == 2


def test_a_timeline_question_cut_short_says_so(index_dir: Path) -> None:
    long = "mass atrocities " * 160  # 2,560 characters
    said = run_cli("timeline", long, "--index", str(index_dir))
    assert said.returncode == 0 and "cut to its first 2,000 characters" in said.stderr
    line = json.loads(run_cli("timeline", long, "--index", str(index_dir), "--json").stdout)
    assert line["understood"]["query_truncated"] == {"kept_chars": 2000, "original_chars": 2559}
