// readback.mjs reads WARC files with webrecorder's warcio.js, an
// independent reader, and prints one JSON line per record: its WARC
// fields, its HTTP status, and the block and payload digests computed here
// (with Node's crypto over the bytes warcio hands out) to be compared with
// the fields the writer wrote.
//
//   node readback.mjs ALGO FILE...     (ALGO: sha1 or sha256)
//
// The block digest is taken over the record's block as warcio reads it
// without parsing HTTP; the payload digest over what follows the HTTP head
// as warcio parses it, de-chunked with warcio's own AsyncIterReader when
// the response says Transfer-Encoding: chunked (WARC 1.1 section 6.3.2).
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { WARCParser, AsyncIterReader } from "warcio";
import base32Encode from "base32-encode";

const [algo, ...files] = process.argv.slice(2);

function format(hash) {
  const sum = hash.digest();
  if (algo === "sha1") {
    return "sha1:" + base32Encode(sum, "RFC4648");
  }
  return algo + ":" + sum.toString("hex");
}

async function digestOf(iter) {
  const h = createHash(algo);
  let n = 0;
  for await (const chunk of iter) {
    h.update(chunk);
    n += chunk.length;
  }
  return [format(h), n];
}

for (const file of files) {
  // Pass 1: the raw blocks, and where each record lies in the file.
  const raw = [];
  const p1 = new WARCParser(createReadStream(file), { parseHttp: false });
  for await (const record of p1) {
    const [blockDigest, blockLength] = await digestOf(record.reader);
    const h = record.warcHeaders.headers;
    const fields = {};
    for (const [k, v] of h) {
      fields[k.toLowerCase()] = v;
    }
    raw.push({
      file: basename(file),
      offset: p1.offset,
      length: p1.recordLength,
      version: record.warcHeaders.protocol,
      fields,
      computedBlockDigest: blockDigest,
      blockLength,
    });
  }
  // Pass 2: the HTTP messages.
  const p2 = new WARCParser(createReadStream(file), { parseHttp: true });
  let i = 0;
  for await (const record of p2) {
    const out = raw[i++];
    if (record.httpHeaders) {
      out.status = record.httpHeaders.statusCode || 0;
      out.method = record.httpHeaders.method || "";
      const te = (record.httpHeaders.headers.get("transfer-encoding") || "").toLowerCase();
      out.chunked = te === "chunked";
      const source = out.chunked ? new AsyncIterReader(record.reader, null, true) : record.reader;
      [out.computedPayloadDigest, out.payloadLength] = await digestOf(source);
    } else {
      await record.skipFully();
    }
    console.log(JSON.stringify(out));
  }
}
