-- uses: lib.lua
-- Push. ARGV: the prefix, then push's arguments.
return push(2)
