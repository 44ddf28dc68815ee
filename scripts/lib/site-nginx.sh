# Shared by the crawl benchmarks (bench-crawl.sh, bench-frontier.sh): free
# ports, waiting for one, and nginx serving a generated site. Source it;
# it defines functions only.

# freeport prints a free TCP port of 127.0.0.1.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# waitport PORT waits up to 10 s for 127.0.0.1:PORT to accept, or exits.
waitport() {
	for _ in $(seq 100); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1',$1)).close()" 2>/dev/null && return
		sleep 0.1
	done
	echo "port $1 never opened" >&2
	exit 1
}

# start_site_nginx TMP PORT serves TMP/www on 127.0.0.1:PORT with nginx (a
# single process, its files under TMP/nginx, the URIs it served logged one
# a line to TMP/access.log), waits until it listens, and sets nginx_pid.
start_site_nginx() {
	local tmp=$1 port=$2 bin
	bin=$(command -v nginx || echo /usr/sbin/nginx)
	mkdir -p "$tmp/nginx"
	cat >"$tmp/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  types { text/html html; }
  default_type application/octet-stream;
  log_format uri '\$request_uri';
  access_log $tmp/access.log uri;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/nginx/body;
  server {
    listen 127.0.0.1:$port;
    root $tmp/www;
    index index.html;
  }
}
CONF
	"$bin" -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
	nginx_pid=$!
	waitport "$port"
}
