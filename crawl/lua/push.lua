-- uses: lib_crawl.lua lib.lua
-- Push. ARGV: the prefix, then push's arguments.
return push(2)
