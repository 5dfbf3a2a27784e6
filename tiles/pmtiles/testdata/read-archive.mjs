// Reads a PMTiles archive with the reference JavaScript reader and prints
// its header, its metadata and the named tiles as JSON, for the Go tests to
// compare with what they wrote.
//
// usage: node read-archive.mjs ARCHIVE Z/X/Y...
// Each tile is printed decompressed, base64-encoded, or null when absent,
// together with the library's tile ID for it.
import { open } from "node:fs/promises";
import { PMTiles, zxyToTileId } from "pmtiles";

class FileSource {
  constructor(handle, name) {
    this.handle = handle;
    this.name = name;
  }
  getKey() {
    return this.name;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buf, 0, length, offset);
    const data = buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead);
    return { data };
  }
}

const [path, ...tiles] = process.argv.slice(2);
const handle = await open(path, "r");
try {
  const archive = new PMTiles(new FileSource(handle, path));
  const header = await archive.getHeader();
  const metadata = await archive.getMetadata();
  const out = { header, metadata, tiles: {}, ids: {} };
  for (const key of tiles) {
    const [z, x, y] = key.split("/").map(Number);
    const tile = await archive.getZxy(z, x, y);
    out.tiles[key] = tile ? Buffer.from(tile.data).toString("base64") : null;
    out.ids[key] = zxyToTileId(z, x, y);
  }
  console.log(JSON.stringify(out));
} finally {
  await handle.close();
}
