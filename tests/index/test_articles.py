"""Reading article files: front matter, paragraphs, HTML, and files that must be skipped."""

from pathlib import Path

import pytest

from index import CorpusMissing, CorpusUnreadable
from index.ingest.articles import read_corpus
from tests.support import ROOT


def test_seed_article_reads_as_17_paragraphs_with_a_title():
    articles, skipped = read_corpus(ROOT / "corpus")
    assert skipped == []
    seed = next(a for a in articles if a.id == "russia-turkiye-israel-hamas-war")
    assert len(seed.paragraphs) == 17
    assert seed.title and "Türkiye" in seed.title


def test_seed_article_keeps_its_17_paragraphs_unchanged(shared_seed: Path):
    articles, _ = read_corpus(ROOT / "corpus")
    seed = next(a for a in articles if a.id == "russia-turkiye-israel-hamas-war")
    original = [line for line in shared_seed.read_text("utf-8").split("\n") if line.strip()]
    assert [seed.body[s:e] for s, e in seed.paragraphs] == original


def test_front_matter_fields_and_blank_line_paragraphs(tmp_path: Path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: Grain deal ends\nsource: https://example.org/grain\npublished: 2023-07-17\n"
        "---\n\nFirst paragraph,\nwrapped over two lines.\n\nSecond paragraph.\n", "utf-8")
    [article], _ = read_corpus(tmp_path)
    assert (article.title, article.source, article.published) == (
        "Grain deal ends", "https://example.org/grain", "2023-07-17")
    assert [article.body[s:e] for s, e in article.paragraphs] == [
        "First paragraph,\nwrapped over two lines.", "Second paragraph."]


def test_plain_text_without_front_matter_uses_lines_and_file_name(tmp_path: Path):
    (tmp_path / "black-sea_talks.txt").write_bytes(b"One line.\r\nAnother line.\r\n")
    [article], _ = read_corpus(tmp_path)
    assert article.title == "Black sea talks"
    assert [article.body[s:e] for s, e in article.paragraphs] == ["One line.", "Another line."]


def test_markdown_heading_becomes_the_title(tmp_path: Path):
    (tmp_path / "h.md").write_text("# Sochi summit\n\nPutin met Erdogan.\n", "utf-8")
    [article], _ = read_corpus(tmp_path)
    assert article.title == "Sochi summit"
    assert [article.body[s:e] for s, e in article.paragraphs] == ["Putin met Erdogan."]


def test_html_main_text_is_extracted(tmp_path: Path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>Trade grows</title></head><body><nav>Home | About</nav><article>"
        "<h1>Trade grows</h1><p>Trade between Russia and Turkey rose by more than 80 percent "
        "in 2022, official figures show, making Russia the top source of imports.</p>"
        "<p>Officials expect this year's numbers to be higher still, according to the "
        "ministry's statement published on Monday.</p></article></body></html>", "utf-8")
    [article], skipped = read_corpus(tmp_path)
    assert skipped == []
    assert article.title == "Trade grows"
    assert "more than 80 percent" in article.body
    assert "Home | About" not in article.body


def _page(body: str) -> str:
    return f"<html><head><title>Many</title></head><body><article>{body}</article></body></html>"


def test_html_that_would_take_minutes_to_extract_is_skipped_and_named(tmp_path: Path):
    # Under the 5 MB download limit, each took trafilatura from 35 s to minutes (its time
    # grows with the square of them); now each is refused at once, the rest indexed.
    (tmp_path / "good.md").write_text("A good article about grain.", "utf-8")
    (tmp_path / "paragraphs.html").write_text(_page("<p>x y z</p>\n" * 160_000), "utf-8")
    (tmp_path / "spans.html").write_text(_page(("<span></span>" + "word " * 200) * 4_000),
                                         "utf-8")
    articles, skipped = read_corpus(tmp_path)
    assert [a.id for a in articles] == ["good"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("paragraphs.html", "HTML with more than 20,000 elements: too many to extract its "
                            "text in reasonable time"),
        ("spans.html", "HTML with 4,000 elements strewn through 4,000,000 characters of text "
                       "in one <article>: too costly to extract its text")]


def test_a_long_html_article_keeps_every_paragraph(tmp_path: Path):
    paragraphs = [f"Paragraph {n} of the long report on grain exports." for n in range(3_000)]
    (tmp_path / "long.html").write_text(
        _page("<nav>Home | About</nav>" + "".join(f"<p>{p}</p>\n" for p in paragraphs)), "utf-8")
    [article], skipped = read_corpus(tmp_path)
    assert skipped == []
    assert [article.body[s:e] for s, e in article.paragraphs] == paragraphs


def test_a_headline_repeating_the_title_is_not_paragraph_1(tmp_path: Path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>Trade grows</title></head><body><article><h1>Trade grows</h1>"
        "<p>Trade between Russia and Turkey rose by more than 80 percent in 2022, official "
        "figures show, making Russia the top source of imports.</p><p>Officials expect this "
        "year's numbers to be higher still, according to the ministry's statement published "
        "on Monday.</p></article></body></html>", "utf-8")
    (tmp_path / "snow.md").write_text("---\ntitle: Snowfall closes Alpine passes\n---\n\n"
                                      "# Snowfall closes Alpine passes\n\nHeavy snow fell.\n\n"
                                      "The Brenner pass stayed open.\n", "utf-8")
    page, snow = read_corpus(tmp_path)[0]
    assert page.body[slice(*page.paragraphs[0])].startswith("Trade between Russia")
    assert [snow.body[s:e] for s, e in snow.paragraphs] == [
        "Heavy snow fell.", "The Brenner pass stayed open."]


@pytest.mark.parametrize(("text", "title", "first"), [
    ("Heron numbers rise on the Thames\n\nHerons nested in record numbers.\n\nThe survey "
     "counted 200.\n", "Heron numbers rise on the Thames", "Herons nested in record numbers."),
    ("It rained.\n\nThen it stopped.\n", "Heron", "It rained."),  # a sentence, not a title
    ("One line.\nAnother line.\n", "Heron", "One line."),  # a line per paragraph
    ("It rained all day. \n\nThen it stopped.\n", "Heron", "It rained all day."),  # a space
    ("Turkey approves Sweden\n\u00a0\nThe vote was 287 to 55.\n", "Turkey approves Sweden",
     "The vote was 287 to 55."),
    ("By Jane Smith, Reuters\n\nThe vote was 287 to 55.\n", "Heron", "By Jane Smith, Reuters"),
    ("May 14, 2024\n\nThe vote was 287 to 55.\n", "Heron", "May 14, 2024"),
])
def test_a_plain_text_headline_is_the_title_not_paragraph_1(tmp_path: Path, text, title,
                                                            first):
    """A saved .txt article's first line was titled by the file name and cited as ¶1."""
    (tmp_path / "heron.txt").write_text(text, "utf-8")
    [article], _ = read_corpus(tmp_path)
    assert article.title == title
    assert article.body[slice(*article.paragraphs[0])] == first


@pytest.mark.parametrize("blank", ["\u00a0", " \u00a0 ", "\u200b", "\u3000", "\t"])
def test_a_line_of_no_break_or_zero_width_spaces_parts_paragraphs(tmp_path: Path, blank):
    (tmp_path / "a.md").write_text(f"One.\n\nTwo.\n{blank}\nThree.\n\nFour.\n", "utf-8")
    [article], _ = read_corpus(tmp_path)
    assert [article.body[s:e] for s, e in article.paragraphs] == ["One.", "Two.", "Three.",
                                                                   "Four."]


@pytest.mark.parametrize("around", [("", "\n\n"), ("\n\n", ""), ("\n\n\n", "\n\n\n")])
def test_blank_lines_around_a_line_per_paragraph_file_do_not_merge_it(tmp_path: Path, around):
    """One trailing blank line made a whole line-per-paragraph article ¶1."""
    before, after = around
    (tmp_path / "strike.md").write_text(
        f"---\ntitle: Port strike\n---\n{before}Dockers walked out.\nCranes stood still.\n"
        f"Ships waited at anchor.{after}", "utf-8")
    [article], _ = read_corpus(tmp_path)
    assert [article.body[s:e] for s, e in article.paragraphs] == [
        "Dockers walked out.", "Cranes stood still.", "Ships waited at anchor."]


def test_a_colon_in_a_title_keeps_the_front_matter(tmp_path: Path):
    """"title: Breaking: Fed raises rates" is not valid YAML; the title, link and date
    were all thrown away."""
    (tmp_path / "fed.md").write_text(
        "---\ntitle: Breaking: Fed raises rates to 5.5%\nsource: https://example.org/fed\n"
        "published: '2023-07-26'\n---\n\nThe Federal Reserve raised rates.\n", "utf-8")
    [article], skipped = read_corpus(tmp_path)
    assert skipped == []
    assert (article.title, article.source, article.published) == (
        "Breaking: Fed raises rates to 5.5%", "https://example.org/fed", "2023-07-26")


NO_HTML_TEXT = ("no article text in the HTML (it may need a login or JavaScript to show its "
                "text): copy its text into a .txt or .md file")


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.md", b"", "empty"),
    ("blank.txt", b"  \n\n ", "empty"),
    ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("latin1.txt", "Erdoğan said".encode("iso-8859-9"), "UTF-8"),
    ("only-front-matter.md", b"---\ntitle: x\n---\n", "no text after front matter"),
    ("heading.md", b"# Just a heading\n", "only a heading, no text"),
    ("marks.txt", b"!!!\n???\n", "no words, only marks"),
    # a page that shows its text with JavaScript, and one that is only its headline: both
    # said "no … text in the HTML" with no advice
    ("app.html", b"<html><head><title>News</title></head><body><div id=root></div>"
     b"<script src=app.js></script></body></html>", NO_HTML_TEXT),
    ("headline.html", b"<html><head><title>Port strike</title></head><body><h1>Port strike"
     b"</h1></body></html>", NO_HTML_TEXT),
    (b"bad\xffname.txt".decode("utf-8", "surrogateescape"), b"Hedgehogs hibernate.",
     "its name is not valid UTF-8"),
])
def test_bad_file_is_skipped_and_named_while_the_rest_index(tmp_path: Path, name, content,
                                                            reason):
    (tmp_path / "good.md").write_text("A good article about grain.", "utf-8")
    (tmp_path / name).write_bytes(content)
    articles, skipped = read_corpus(tmp_path)
    assert [a.id for a in articles] == ["good"]
    assert [s.path for s in skipped] == [name.encode("utf-8", "surrogateescape").decode(
        "utf-8", "replace")]  # a name that is not UTF-8 is shown with "�" where it breaks
    assert reason in skipped[0].reason


def test_a_bad_date_in_front_matter_keeps_the_rest_of_it(tmp_path: Path):
    (tmp_path / "x.md").write_text("---\ntitle: Real title\npublished: 2025-13-45\n"
                                   "source: https://example.org/x\n---\n\nBody.\n", "utf-8")
    [article], skipped = read_corpus(tmp_path)
    assert skipped == [] and article.title == "Real title"
    assert (article.source, article.published) == ("https://example.org/x", "2025-13-45")


def test_front_matter_that_is_not_a_mapping_is_ignored(tmp_path: Path):
    (tmp_path / "odd.md").write_text("---\n- just\n- a list\n---\nBody text here.\n", "utf-8")
    [article], _ = read_corpus(tmp_path)
    assert article.title == "Odd"
    assert article.body[slice(*article.paragraphs[0])] == "Body text here."


def test_links_out_of_the_corpus_are_skipped_and_named(tmp_path: Path):
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "private.md").write_text("A private note about nothing.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text("Sweden joined NATO.\n", encoding="utf-8")
    (corpus / "inside-link.md").symlink_to(corpus / "good.md")
    (corpus / "passwd.txt").symlink_to(outside)
    (corpus / "linked-dir").symlink_to(elsewhere, target_is_directory=True)
    articles, skipped = read_corpus(corpus)
    texts = " ".join(a.body for a in articles)
    assert "root:x" not in texts and "private note" not in texts
    assert {a.id for a in articles} == {"good", "inside-link"}  # a link inside is read
    reasons = {s.path: s.reason for s in skipped}
    assert reasons["passwd.txt"] == "a link to a file outside the corpus"
    # A linked folder's articles were left out without a word.
    assert reasons["linked-dir"].startswith("a link to a folder, not followed")
    assert len(reasons) == 2


def test_broken_links_and_odd_entries_are_skipped_and_named(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text("Sweden joined NATO.\n", encoding="utf-8")
    (corpus / "dangling.md").symlink_to(corpus / "missing.md")
    (corpus / "loop-a.md").symlink_to(corpus / "loop-b.md")
    (corpus / "loop-b.md").symlink_to(corpus / "loop-a.md")
    (corpus / "folder.md").mkdir()  # a folder is walked, not read as an article
    (corpus / "folder.md" / "inner.md").write_text("An inner article.\n", encoding="utf-8")
    (corpus / ".hidden").mkdir()
    (corpus / ".hidden" / "draft.md").write_text("A draft.\n", encoding="utf-8")
    articles, skipped = read_corpus(corpus)
    assert {a.id for a in articles} == {"good", "folder.md/inner"}
    assert {s.path: s.reason.split(" (")[0] for s in skipped} == {
        "dangling.md": "a broken link", "loop-a.md": "a broken link",
        "loop-b.md": "a broken link"}


@pytest.mark.parametrize("where", [".", "sub"])
def test_a_folder_that_cannot_be_listed_stops_the_read(tmp_path: Path, monkeypatch, where):
    """Its articles would otherwise drop out of the index unnamed (root ignores chmod, so
    the refusal is simulated where the walk lists folders)."""
    import os

    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "good.md").write_text("Sweden joined NATO.\n", encoding="utf-8")
    (corpus / "sub" / "kept.md").write_text("Another article.\n", encoding="utf-8")
    locked = os.path.normpath(corpus / where)
    listing = os.scandir

    def refusing(path="."):
        if os.path.normpath(os.fspath(path)) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", refusing)
    with pytest.raises(CorpusUnreadable, match="Permission denied"):
        read_corpus(corpus)


def test_deeply_nested_front_matter_is_ignored_not_a_crash(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "nested.md").write_text("---\ntitle: " + "[" * 2000 + "\n---\n\nBody text here.\n",
                                      encoding="utf-8")
    (corpus / "fine.md").write_text("A fine article.\n", encoding="utf-8")
    articles, _ = read_corpus(corpus)
    assert {a.id for a in articles} == {"nested", "fine"}


def test_a_file_that_vanishes_while_reading_is_skipped_and_named(tmp_path: Path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gone.md").write_text("Soon gone.\n", encoding="utf-8")
    (corpus / "stays.md").write_text("Still here.\n", encoding="utf-8")
    real = Path.open

    def vanishing(self: Path, *args, **kwargs):
        if self.name == "gone.md":
            self.unlink()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", vanishing)
    articles, skipped = read_corpus(corpus)
    assert [a.id for a in articles] == ["stays"]
    assert [(s.path, s.reason) for s in skipped] == [("gone.md", "could not be read (No such "
                                                                 "file or directory)")]


def test_a_file_over_the_size_limit_is_skipped_and_named(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "book.txt").write_text("A long line of words. " * 1000, encoding="utf-8")
    (corpus / "news.md").write_text("A short news story.\n", encoding="utf-8")
    articles, skipped = read_corpus(corpus, max_bytes=10_000)
    assert [a.id for a in articles] == ["news"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("book.txt", "larger than the 10,000 bytes article size limit")]
    assert [a.id for a in read_corpus(corpus)[0]] == ["book", "news"]


def test_utf16_text_and_a_corpus_that_is_a_file_get_reasons_that_say_so(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notepad.txt").write_bytes("Sweden joined NATO.\n".encode("utf-16"))
    (corpus / "good.md").write_text("Sweden joined NATO.\n", encoding="utf-8")
    articles, skipped = read_corpus(corpus)
    assert [a.id for a in articles] == ["good"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("notepad.txt", "UTF-16 text (a byte-order mark): save it as UTF-8")]
    with pytest.raises(CorpusMissing, match="is a file, not a folder"):
        read_corpus(corpus / "good.md")
