-- uses: lib.lua lib_claim.lua
-- Claim. ARGV: the prefix, then claim's seven arguments.
return claim(2)
