-- uses: lib.lua lib_claim.lua lib_complete.lua
-- Complete, then Claim, in one round trip (the claim sees the per-host
-- slots the completions freed). ARGV: the prefix, claim's seven
-- arguments, then complete's.
local c = complete(9)
local r = claim(2)
return {c[1], c[2], c[3], c[4], r[1], r[2], r[3]}
