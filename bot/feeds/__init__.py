"""Following RSS and Atom feeds: each new item's page becomes a corpus article.

`store` keeps feeds and items in SQLite, `download` fetches a feed with conditional GET inside
the `/add` guard, `parse` reads it (refusing hostile XML), `dedupe` recognises items already
held, `articles` turns an item into an article file, `poll` runs one pass over the feeds,
`listing` says what a feed list shows of one feed.
"""
