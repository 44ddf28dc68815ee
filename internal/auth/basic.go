package auth

import (
	"encoding/base64"
	"strings"
)

// Basic returns the Authorization field value for HTTP Basic (RFC 7617):
// "Basic " and the base64 of user ":" password, the bytes as given (UTF-8
// when they are, as RFC 7617's charset="UTF-8" asks).
func Basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// SplitUser splits a -u/--user value as curl does: the user is what comes
// before the first colon, the password all that follows it (colons
// included). Without a colon the password is empty and hasPassword false;
// curl would then prompt for one, fetch never prompts and sends the empty
// password, as curl does for a user in a URL.
func SplitUser(s string) (user, password string, hasPassword bool) {
	user, password, hasPassword = strings.Cut(s, ":")
	return user, password, hasPassword
}
