-- uses: lib.lua lib_complete.lua
-- Complete, the step that carries most of a crawl's Redis work. ARGV: the
-- prefix, the page count n, then host, stream entry ID, 8-byte key and
-- record per page, then the bound, the link count and key, host, item
-- per link.
return complete(2)
