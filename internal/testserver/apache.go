package testserver

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Paths an Apache protects, each serving the docroot's files below it
// (a file "digest/a.txt" is served at DigestPrefix + "a.txt").
const (
	// DigestPrefix needs HTTP Digest authentication (mod_auth_digest) as
	// one of ApacheOptions.Users, in realm ApacheOptions.Realm.
	DigestPrefix = "/digest/"
	// BasicPrefix needs HTTP Basic authentication (mod_auth_basic) as one
	// of ApacheOptions.Users.
	BasicPrefix = "/basic/"
)

// ApacheOptions configures StartApache. Its zero value serves the docroot
// (an index.html) over plain HTTP, with nobody allowed under DigestPrefix
// and BasicPrefix.
type ApacheOptions struct {
	// Files are written under the docroot, as NginxOptions.Files. Files
	// under "digest/" and "basic/" are the protected ones.
	Files map[string][]byte

	// Users are the user names and passwords DigestPrefix and BasicPrefix
	// accept (an htdigest file and an htpasswd file of {SHA} hashes are
	// written for them).
	Users map[string]string

	// Realm is the Digest and Basic realm (AuthName). If empty,
	// "greenfetch".
	Realm string

	// DigestAlgorithm is AuthDigestAlgorithm. If empty, MD5. Apache 2.4
	// implements MD5 only (its docs list MD5-sess as not implemented, and
	// it refuses SHA-256 at start-up). Its qop is always auth: 2.4.71
	// refuses AuthDigestQop none, so RFC 2069 clients cannot be tried on it.
	DigestAlgorithm string

	// Compress compresses text/html, text/plain, text/css,
	// application/json and application/javascript responses with brotli
	// (mod_brotli) for clients that accept br, and with gzip (mod_deflate)
	// for the others that accept gzip or deflate.
	Compress bool

	// ExtraConfig is raw Apache configuration appended to the generated
	// one.
	ExtraConfig string
}

// Apache is a running Apache httpd started by StartApache, on 127.0.0.1.
// It is stopped by the cleanup of the test that started it.
type Apache struct {
	URL        string // "http://127.0.0.1:PORT", no trailing slash
	Addr       string // "127.0.0.1:PORT"
	Root       string // the docroot
	Dir        string // configuration, password files, logs
	ConfigFile string
	ErrorLog   string
	Version    string // "2.4.71", from apache2 -v
}

// apacheModuleDirs are where distributions keep Apache's modules.
var apacheModuleDirs = []string{
	"/usr/lib/apache2/modules",    // Debian, Ubuntu
	"/usr/lib64/httpd/modules",    // Fedora, RHEL
	"/usr/lib/httpd/modules",      // Arch
	"/usr/local/libexec/apache24", // FreeBSD
}

// StartApache starts Apache httpd (Debian's apache2 package,
// /usr/sbin/apache2) in the foreground with a configuration of its own in
// a temporary directory (ServerRoot, PidFile, ErrorLog all there, only the
// modules it needs loaded, never the system's configuration or service),
// on a free port of 127.0.0.1, waits until the port accepts connections,
// and stops it when the test ends. One process of up to 16 threads
// serves (mpm_event). When the binary is missing it skips the test, or
// fails it when CI is set.
//
// Run as root, Apache's worker runs as uid and gid 65534 (nobody), which
// must read the docroot: the directory is made world-readable, outside the
// test's 0700 temporary directory, and removed when the test ends.
func StartApache(t testing.TB, opts ApacheOptions) *Apache {
	t.Helper()
	bin := findBinary(t, "apache2")
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil {
		t.Fatalf("testserver: %s -v: %v: %s", bin, err, out)
	}
	m := regexp.MustCompile(`Apache/(\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("testserver: %s -v printed no version: %s", bin, out)
	}
	modDir := ""
	for _, d := range apacheModuleDirs {
		if _, err := os.Stat(filepath.Join(d, "mod_auth_digest.so")); err == nil {
			modDir = d
			break
		}
	}
	if modDir == "" {
		t.Fatalf("testserver: Apache's modules (mod_auth_digest.so) are in none of %s", strings.Join(apacheModuleDirs, ", "))
	}

	dir, err := os.MkdirTemp("", "greenfetch-apache-")
	if err != nil {
		t.Fatalf("testserver: apache directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // after the stop, registered below
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testserver: apache directory: %v", err)
	}
	a := &Apache{
		Dir:        dir,
		Root:       filepath.Join(dir, "root"),
		ConfigFile: filepath.Join(dir, "httpd.conf"),
		ErrorLog:   filepath.Join(dir, "error.log"),
		Version:    string(m[1]),
	}
	files := map[string][]byte{
		"index.html":        []byte("<!doctype html>\n<title>greenfetch test</title>\n<p>greenfetch test index</p>\n"),
		"digest/index.html": []byte("<!doctype html>\n<title>digest</title>\n<p>behind Digest</p>\n"),
		"basic/index.html":  []byte("<!doctype html>\n<title>basic</title>\n<p>behind Basic</p>\n"),
	}
	for k, v := range opts.Files {
		files[k] = v
	}
	if err := os.MkdirAll(a.Root, 0o755); err != nil {
		t.Fatalf("testserver: apache docroot: %v", err)
	}
	if err := writeFiles(a.Root, files); err != nil {
		t.Fatal(err)
	}
	realm := opts.Realm
	if realm == "" {
		realm = "greenfetch"
	}
	if strings.ContainsAny(realm, "\":\n\\") {
		t.Fatalf("testserver: apache realm %q: no quotes, colons, backslashes or newlines", realm)
	}
	var digest, basic strings.Builder
	users := make([]string, 0, len(opts.Users))
	for u := range opts.Users {
		if u == "" || strings.ContainsAny(u, ":\n") {
			t.Fatalf("testserver: apache user %q: want a name without colons or newlines", u)
		}
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		p := opts.Users[u]
		ha1 := md5.Sum([]byte(u + ":" + realm + ":" + p))
		fmt.Fprintf(&digest, "%s:%s:%s\n", u, realm, hex.EncodeToString(ha1[:]))
		sum := sha1.Sum([]byte(p))
		fmt.Fprintf(&basic, "%s:{SHA}%s\n", u, base64.StdEncoding.EncodeToString(sum[:]))
	}
	for name, body := range map[string]string{"htdigest": digest.String(), "htpasswd": basic.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatalf("testserver: apache %s: %v", name, err)
		}
	}

	outFile := filepath.Join(dir, "apache.out")
	startServer(t, 1, false, func(ports []int) (launch, error) {
		a.Addr = fmt.Sprintf("127.0.0.1:%d", ports[0])
		a.URL = "http://" + a.Addr
		return launch{
			name:       "apache2",
			addr:       a.Addr,
			bin:        bin,
			args:       []string{"-d", dir, "-f", a.ConfigFile, "-DFOREGROUND"},
			configFile: a.ConfigFile,
			config:     a.config(opts, modDir, realm),
			out:        outFile,
			logs:       []string{outFile, a.ErrorLog},
			probe:      func() error { return dialAll(ports) },
			portTaken: func(log string) bool {
				return addrInUse(log) || strings.Contains(log, "could not bind")
			},
		}, nil
	})
	return a
}

// config returns httpd.conf for a and opts.
func (a *Apache) config(opts ApacheOptions, modDir, realm string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# generated by greenfetch internal/testserver")
	w("ServerRoot %q", a.Dir)
	w("DefaultRuntimeDir %q", a.Dir)
	w("PidFile %q", filepath.Join(a.Dir, "apache.pid"))
	w("ErrorLog %q", a.ErrorLog)
	w("LogLevel warn")
	w("Listen %s", a.Addr)
	w("ServerName 127.0.0.1")
	w("ServerTokens Prod")
	mods := []string{"mpm_event", "authz_core", "authn_core", "authn_file", "authz_user",
		"auth_digest", "auth_basic", "mime", "dir"}
	if opts.Compress {
		mods = append(mods, "filter", "deflate", "brotli")
	}
	for _, m := range mods {
		w("LoadModule %s_module %s", m, filepath.Join(modDir, "mod_"+m+".so"))
	}
	w("StartServers 1")
	w("ServerLimit 1")
	w("ThreadLimit 16")
	w("ThreadsPerChild 16")
	w("MaxRequestWorkers 16")
	w("MinSpareThreads 1")
	w("MaxSpareThreads 16")
	if os.Geteuid() == 0 {
		w("User #65534") // Apache will not serve as root
		w("Group #65534")
	}
	w("TypesConfig /dev/null")
	w("AddType text/html .html")
	w("AddType text/plain .txt")
	w("AddType text/css .css")
	w("AddType application/json .json")
	w("AddType application/javascript .js")
	w("DirectoryIndex index.html")
	w("DocumentRoot %q", a.Root)
	w("<Directory %q>", a.Root)
	w("  Require all granted")
	w("</Directory>")
	w("<Location %q>", DigestPrefix)
	w("  AuthType Digest")
	w("  AuthName %q", realm)
	w("  AuthDigestDomain %q", DigestPrefix)
	w("  AuthDigestProvider file")
	w("  AuthUserFile %q", filepath.Join(a.Dir, "htdigest"))
	if opts.DigestAlgorithm != "" {
		w("  AuthDigestAlgorithm %s", opts.DigestAlgorithm)
	}
	w("  Require valid-user")
	w("</Location>")
	w("<Location %q>", BasicPrefix)
	w("  AuthType Basic")
	w("  AuthName %q", realm)
	w("  AuthBasicProvider file")
	w("  AuthUserFile %q", filepath.Join(a.Dir, "htpasswd"))
	w("  Require valid-user")
	w("</Location>")
	if opts.Compress {
		w("AddOutputFilterByType BROTLI_COMPRESS;DEFLATE text/html text/plain text/css application/json application/javascript")
	}
	if opts.ExtraConfig != "" {
		w("%s", opts.ExtraConfig)
	}
	return b.String()
}
