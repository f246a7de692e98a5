from __future__ import annotations

import itertools
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from r2p_search.passages import (
    join_windows,
    make_passages,
    merge_fragments,
    split_paragraphs,
    split_sentences,
    windows,
)


def words(texts: list[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def wrap(text: str, width: int = 50, indent: str = "") -> list[str]:
    lines, line = [], indent
    for word in text.split():
        if len(line) + len(word) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = ""
        line += word + " "
    lines.append(line.rstrip())
    return lines


P1 = (
    "The General Assembly met today to consider the report of the Secretary-General on the "
    "implementation of the responsibility to protect and the prevention of mass atrocities."
)
P2 = (
    "Many delegations stressed that prevention begins at home, with institutions that protect "
    "minorities, a free press and courts that hold perpetrators to account for their crimes."
)


def test_blank_line_paragraphs() -> None:
    assert split_paragraphs(f"{P1}\n\n{P2}\n") == [P1, P2]


def test_one_paragraph_per_line() -> None:
    text = "\n".join([P1, P2] * 5)
    assert split_paragraphs(text) == [P1, P2] * 5


def test_hard_wrapped_with_indented_openings_crlf_and_bom() -> None:
    lines = wrap(P1, indent=" ") + wrap(P2, indent=" ") + wrap(P1, indent=" ") + wrap(P2, indent=" ")
    text = "\ufeff" + "\r\n".join(lines) + "\r\n"
    assert split_paragraphs(text) == [P1, P2, P1, P2]


def test_hard_wrapped_without_marks_uses_short_last_lines() -> None:
    short_end = P2 + " That is all."
    lines = wrap(P1) + wrap(short_end) + wrap(P1) + wrap(short_end)
    # The rule under test: a line that ends a sentence well short of the column ends its paragraph.
    assert len(wrap(short_end)[-1]) < 30 and len(wrap(P1)[-1]) < 40
    assert split_paragraphs("\n".join(lines)) == [P1, short_end, P1, short_end]


def test_hard_wrapped_sentence_ending_at_full_width_does_not_split() -> None:
    lines = wrap(P1) + wrap(P2) + wrap(P1) + wrap(P2)
    assert len(split_paragraphs("\n".join(lines))) < 4


def test_page_furniture_inside_a_paragraph_is_dropped_and_the_paragraph_kept_whole() -> None:
    lines = wrap(P1, indent=" ") + wrap(P2, indent=" ")
    middle = len(wrap(P1)) + 2
    lines[middle:middle] = ["", "11-51398 2 ", "", "A/66/PV.19 23/09/2011", "17"]
    assert split_paragraphs("\n".join(lines + wrap(P1, indent=" "))) == [P1, P2, P1]


def test_line_end_hyphens_joined_only_for_words_the_document_uses_whole() -> None:
    text = (
        " Our international partners and the well-\n"
        "known principles of the Charter guide inter-\n"
        "national cooperation.\n"
        " Every international body agrees with this view of the matter.\n"
    ) * 3
    first = split_paragraphs(text)[0]
    assert "well-known principles" in first
    assert "guide international cooperation" in first


def test_fragments_merge_into_the_paragraph_they_introduce_or_close() -> None:
    units = merge_fragments(["Ladies and Gentlemen,", P1, "INTRODUCTION", P2, "Thank you."])
    assert units == [(1, f"Ladies and Gentlemen, {P1}"), (3, f"INTRODUCTION {P2} Thank you.")]


def test_a_document_of_fragments_only_is_one_passage() -> None:
    assert merge_fragments(["Thank you.", "Bye."]) == [(1, "Thank you. Bye.")]


def test_sentences() -> None:
    assert split_sentences("One is here. Two “quoted.” Three? Mr. Smith 4 June.") == [
        "One is here.",
        "Two “quoted.”",
        "Three?",
        "Mr. Smith 4 June.",
    ]


def test_long_paragraph_becomes_overlapping_windows_within_budget() -> None:
    sentences = [f"Sentence number {i} speaks about protection of civilians here." for i in range(60)]
    text = " ".join(sentences)
    parts = windows(text, words, budget=40)
    assert len(parts) > 1
    assert all(len(p.split()) <= 40 for p in parts)
    # Neighbouring windows share the sentence at their boundary.
    for left, right in itertools.pairwise(parts):
        assert split_sentences(left)[-1] == split_sentences(right)[0]
    # Nothing is lost.
    covered = {s for p in parts for s in split_sentences(p)}
    assert covered == set(sentences)


# Sentences made unique by their number; their words come from a small set, so the same words
# often meet across a cut ("... of the" / "the Council ...").
_SENTENCES = st.lists(
    st.lists(st.sampled_from(["the", "of", "Council", "peace", "we", "must"]), max_size=30),
    min_size=1,
    max_size=25,
).map(lambda found: " ".join(" ".join([f"S{i}", *ws]) + "." for i, ws in enumerate(found)))


@given(text=_SENTENCES, budget=st.integers(min_value=2, max_value=60))
def test_joined_windows_give_back_the_paragraph(text: str, budget: int) -> None:
    joined = join_windows(windows(text, words, budget))
    if max(words(split_sentences(text))) <= budget:
        assert joined == text
    else:
        # A short run cut from an over-long sentence may show twice; nothing is lost or reordered.
        rest = iter(joined.split())
        assert all(word in rest for word in text.split())


def test_joining_keeps_a_word_repeated_across_a_cut() -> None:
    assert join_windows(["We spoke of the", "the Council met."]) == "We spoke of the the Council met."
    assert join_windows(["One. Two.", "Two. Three."]) == "One. Two. Three."


def test_one_overlong_sentence_is_cut_by_words() -> None:
    text = " ".join(f"w{i}" for i in range(500))
    parts = windows(text, words, budget=100)
    assert all(len(p.split()) <= 100 for p in parts)
    assert {w for p in parts for w in p.split()} == set(text.split())


def test_make_passages_numbers_and_budget() -> None:
    long = " ".join([P1] * 20)
    passages = make_passages(f"Excellencies\n\n{P1}\n\n{long}\n\n{P2}", words, budget=62)
    assert [p.n for p in passages] == list(range(1, len(passages) + 1))
    assert passages[0].paragraph == 1 and passages[0].text.startswith("Excellencies The General")
    assert {p.paragraph for p in passages[1:-1]} == {3}
    assert passages[-1].paragraph == 4
    assert all(len(p.text.split()) <= 62 for p in passages)


def test_empty_and_blank_text_give_no_passages() -> None:
    assert make_passages("", words, 64) == []
    assert make_passages(" \n\r\n \t", words, 64) == []


# Real PDF extractions from the General Debate corpus.


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def test_real_indented_year_rebuilds_paragraphs(ungdc: Path) -> None:
    paragraphs = split_paragraphs(read(ungdc / "2011" / "SYR_66_2011.txt"))
    assert 15 <= len(paragraphs) <= 40
    assert paragraphs[1].startswith(
        "It is only natural that I should start by addressing the current situation in Syria"
    )
    # Wrapped lines were joined and no page furniture is left inside paragraphs.
    assert not any(re.search(r"\b\d{2}-\d{5}\b", p) for p in paragraphs)
    assert all("\n" not in p for p in paragraphs)


def test_real_page_header_mid_text_is_removed(ungdc: Path) -> None:
    text = read(ungdc / "2011" / "AFG_66_2011.txt")
    assert "11-51179 6" in text
    joined = " ".join(split_paragraphs(text))
    assert "11-51179" not in joined
    assert "infrastructure across the country." in joined


def test_real_year_without_paragraph_marks(ungdc: Path) -> None:
    paragraphs = split_paragraphs(read(ungdc / "2012" / "SYR_67_2012.txt"))
    assert len(paragraphs) >= 12
    assert paragraphs[0].endswith("enshrined in the Charter of the United Nations.")
    assert paragraphs[1].startswith("Our world today faces many events")


def test_real_hyphenated_compound_kept(ungdc: Path) -> None:
    joined = " ".join(split_paragraphs(read(ungdc / "2011" / "SYR_66_2011.txt")))
    assert "well-known" in joined or "well- known" not in joined
    assert "- " not in re.sub(r" [-\u2013\u2014] ", " ", joined).replace("-- ", "")


def test_real_one_paragraph_per_line_year_joins_across_page_break(ungdc: Path) -> None:
    text = read(ungdc / "2015" / "AFG_70_2015.txt")
    assert "15-29425 31/34" in text
    paragraphs = split_paragraphs(text)
    assert paragraphs[0].startswith("It gives me great pleasure")
    assert paragraphs[0].endswith("at a very demanding time.")
    assert any("However, it also poses a serious challenge" in p for p in paragraphs)
    assert not any("15-29425" in p or "A/70/PV.15" in p for p in paragraphs)


def test_real_salutations_do_not_stand_alone(ungdc: Path) -> None:
    for name in ("2024/AGO_79_2024.txt", "2020/AFG_75_2020.txt", "2024/GBR_79_2024.txt"):
        passages = make_passages(read(ungdc / name), words, 256)
        assert passages, name
        assert all(len(p.text.split()) >= 6 for p in passages), name
    first = make_passages(read(ungdc / "2024/AGO_79_2024.txt"), words, 256)[0].text
    assert first.startswith("-Your Excellency") and len(first.split()) > 40
