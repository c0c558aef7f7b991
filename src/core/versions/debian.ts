/**
 * Debian package versions, compared exactly as `dpkg --compare-versions` (dpkg 1.21) does.
 *
 * The rules mirror dpkg's lib/dpkg/parsehelp.c `parseversion` and lib/dpkg/version.c
 * `verrevcmp`, because an advisory saying "fixed in 2.8.1+dfsg-1~deb12u1" is only useful
 * if we rank the installed version the way apt and dpkg on the host will. The test suite
 * checks every rule here against the real dpkg binary.
 *
 * dpkg sorts problems into two kinds, and so do we:
 * - errors (`dpkg --compare-versions` exits 2): empty string, embedded blanks, a bad or
 *   out-of-range epoch, nothing after the colon, an empty upstream or revision;
 * - warnings (dpkg prints "warning: version ... has bad syntax" and then compares anyway):
 *   upstream not starting with a digit, characters outside the allowed sets.
 * `parseDebianVersion` and `compareDebianVersions` accept warning-level versions, as
 * dpkg --compare-versions does; `checkDebianVersion` reports both kinds for callers that
 * want to refuse non-canonical versions at the boundary.
 *
 * Comparisons run millions of times during planning, so each distinct version is turned
 * once into a sort key (see "Sort keys" below) kept in a bounded cache; a comparison is
 * then two map hits and one native string comparison, with no regex and no allocation.
 */
import { BadInput } from '../errors.js';

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export interface DebianVersionProblem {
  /** `error`: dpkg refuses the version; `warning`: dpkg complains but still compares it. */
  severity: 'error' | 'warning';
  /** dpkg's own wording, so operators can search for it. */
  message: string;
}

// Problem codes: 0 is fine, positive are dpkg errors, negative are dpkg warnings.
const OK = 0;
const E_EMPTY = 1;
const E_EMBEDDED_SPACES = 2;
const E_EPOCH_EMPTY = 3;
const E_EPOCH_NOT_NUMBER = 4;
const E_EPOCH_NEGATIVE = 5;
const E_EPOCH_TOO_BIG = 6;
const E_NOTHING_AFTER_COLON = 7;
const E_REVISION_EMPTY = 8;
const E_VERSION_EMPTY = 9;
const E_NUL = 10;
const W_NOT_DIGIT = -1;
const W_UPSTREAM_CHAR = -2;
const W_REVISION_CHAR = -3;

const MESSAGES: Record<number, string> = {
  [E_EMPTY]: 'version string is empty',
  [E_EMBEDDED_SPACES]: 'version string has embedded spaces',
  [E_EPOCH_EMPTY]: 'epoch in version is empty',
  [E_EPOCH_NOT_NUMBER]: 'epoch in version is not number',
  [E_EPOCH_NEGATIVE]: 'epoch in version is negative',
  [E_EPOCH_TOO_BIG]: 'epoch in version is too big',
  [E_NOTHING_AFTER_COLON]: 'nothing after colon in version number',
  [E_REVISION_EMPTY]: 'revision number is empty',
  [E_VERSION_EMPTY]: 'version number is empty',
  // Not a dpkg message: a C argument or control file cannot hold NUL, so no dpkg ever
  // sees such a version; refusing it beats guessing where dpkg would have cut it.
  [E_NUL]: 'version string contains a NUL character',
  [W_NOT_DIGIT]: 'version number does not start with digit',
  [W_UPSTREAM_CHAR]: 'invalid character in version number',
  [W_REVISION_CHAR]: 'invalid character in revision number',
};

const INT_MAX = 2147483647;

/** Where the parts of a version lie inside `text`; filled in place to avoid allocating. */
interface Layout {
  epoch: number;
  upstreamStart: number;
  upstreamEnd: number;
  revisionStart: number;
  revisionEnd: number;
  /** Saw a code unit outside ASCII: dpkg orders such versions by their UTF-8 bytes. */
  nonAscii: boolean;
}

function newLayout(): Layout {
  return { epoch: 0, upstreamStart: 0, upstreamEnd: 0, revisionStart: 0, revisionEnd: 0, nonAscii: false };
}

// dpkg uses its own locale-independent c_isblank: space and tab only.
function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Mirrors `parseversion`, check for check and in the same order, so that the first
 * problem found is the one dpkg reports. Fills `out` even when it returns a warning,
 * because dpkg also keeps the parsed fields and compares them after warning.
 */
function scan(s: string, out: Layout): number {
  const n = s.length;
  let start = 0;
  while (start < n && isBlank(s.charCodeAt(start))) start++;
  if (start === n) return E_EMPTY;

  let end = start;
  let nonAscii = false;
  let colon = -1;
  let hyphen = -1;
  for (; end < n; end++) {
    const c = s.charCodeAt(end);
    if (isBlank(c)) break;
    if (c === 58) {
      if (colon < 0) colon = end;
    } else if (c === 45) {
      hyphen = end;
    } else if (c === 0) {
      return E_NUL;
    } else if (c >= 0x80) {
      nonAscii = true;
    }
  }
  for (let p = end; p < n; p++) {
    const c = s.charCodeAt(p);
    if (c === 0) return E_NUL;
    if (!isBlank(c)) return E_EMBEDDED_SPACES;
  }
  out.nonAscii = nonAscii;

  let versionStart = start;
  let epoch = 0;
  if (colon >= 0) {
    // dpkg reads the epoch with strtol: it skips C whitespace (only \n \v \f \r can still
    // be here), takes one sign, then decimal digits, and must stop exactly at the colon.
    let p = start;
    while (p < colon) {
      const c = s.charCodeAt(p);
      if (c === 10 || c === 11 || c === 12 || c === 13) p++;
      else break;
    }
    let negative = false;
    if (p < colon) {
      const c = s.charCodeAt(p);
      if (c === 43 || c === 45) {
        negative = c === 45;
        p++;
      }
    }
    const digitsStart = p;
    while (p < colon && isDigit(s.charCodeAt(p))) p++;
    if (p === digitsStart) return E_EPOCH_EMPTY;
    if (p !== colon) return E_EPOCH_NOT_NUMBER;
    let significant = digitsStart;
    while (significant < colon && s.charCodeAt(significant) === 48) significant++;
    const digitCount = colon - significant;
    if (digitCount > 0 && negative) return E_EPOCH_NEGATIVE;
    // Ten digits may still exceed INT_MAX; more cannot fit at all (and would lose
    // precision as a Number), which dpkg reports the same way.
    if (digitCount > 10) return E_EPOCH_TOO_BIG;
    for (let q = significant; q < colon; q++) epoch = epoch * 10 + (s.charCodeAt(q) - 48);
    if (epoch > INT_MAX) return E_EPOCH_TOO_BIG;
    // dpkg tests the character right after the colon in the untrimmed string, so "1: "
    // passes here and fails below as an empty version instead.
    if (colon + 1 === n) return E_NOTHING_AFTER_COLON;
    versionStart = colon + 1;
  }

  let upstreamEnd = end;
  let revisionStart = end;
  if (hyphen >= versionStart) {
    upstreamEnd = hyphen;
    revisionStart = hyphen + 1;
    if (revisionStart === end) return E_REVISION_EMPTY;
  }
  if (upstreamEnd === versionStart) return E_VERSION_EMPTY;

  out.epoch = epoch;
  out.upstreamStart = versionStart;
  out.upstreamEnd = upstreamEnd;
  out.revisionStart = revisionStart;
  out.revisionEnd = end;

  if (!isDigit(s.charCodeAt(versionStart))) return W_NOT_DIGIT;
  for (let p = versionStart + 1; p < upstreamEnd; p++) {
    const c = s.charCodeAt(p);
    // Allowed in upstream: alphanumerics and . - + ~ :
    if (!isDigit(c) && !isAlpha(c) && c !== 46 && c !== 45 && c !== 43 && c !== 126 && c !== 58) {
      return W_UPSTREAM_CHAR;
    }
  }
  for (let p = revisionStart; p < end; p++) {
    const c = s.charCodeAt(p);
    // Allowed in the revision: alphanumerics and . + ~
    if (!isDigit(c) && !isAlpha(c) && c !== 46 && c !== 43 && c !== 126) return W_REVISION_CHAR;
  }
  return OK;
}

/**
 * The string's UTF-8 bytes, one char code (0–255) per byte: dpkg compares raw bytes,
 * and above ASCII the UTF-16 order of a JavaScript string differs from the byte order.
 * Lone surrogates become U+FFFD, as Node does when it passes a string to a process.
 */
function utf8ByteString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out += String.fromCharCode(c);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    if (c < 0x800) {
      out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    } else {
      out += String.fromCharCode(
        0xf0 | (c >> 18),
        0x80 | ((c >> 12) & 0x3f),
        0x80 | ((c >> 6) & 0x3f),
        0x80 | (c & 0x3f),
      );
    }
  }
  return out;
}

/*
 * Sort keys. dpkg's verrevcmp walks a part in rounds: a run of non-digits compared
 * character by character through `order()` (letters by ASCII, then bytes 0x80–0xff,
 * then the other ASCII characters, with `~` below all and "no more non-digits" just
 * above `~`), then a run of digits compared as a number (empty = 0); a part that has
 * ended behaves as endless empty rounds. We turn each version, once, into a string whose
 * plain code-unit order is exactly that order, so a comparison is two cache hits and
 * one native string comparison instead of a character walk:
 *
 *   key      = epoch (4 bytes, big-endian) · part(upstream) · part(revision)
 *   part     = round+ · END          (an empty part is the round "", 0)
 *   round    = RANK[c] for each non-digit c · STOP · length(number) · digits
 *
 * STOP and END are both 2: above `~` (1), below every other non-digit (3 and up).
 * Numbers lose their leading zeros and carry their length first, so longer means larger
 * and equal lengths fall to the digits. Every round after the first starts with a
 * non-digit, so wherever one key has END the other has END or a character, never STOP:
 * END against a character is exactly dpkg's "ended part (0) against order(c)". Keys are
 * canonical, so versions that dpkg calls equal get equal keys. All units stay below 256,
 * which keeps keys in V8's compact one-byte representation.
 */
const STOP = 2;

/** Rank of each non-digit byte in dpkg's `order()`, from 1 (`~`) up; see above. */
const RANK = new Uint8Array(256);
{
  let next = 1;
  RANK[126] = next++;
  next++; // STOP and END
  for (let c = 65; c <= 122; c++) if (isAlpha(c)) RANK[c] = next++;
  // dpkg's `char` is signed on the platforms it ships on, so order() puts bytes
  // 0x80–0xff at 128–255: after letters, before ASCII punctuation (which gets c + 256).
  for (let c = 0x80; c <= 0xff; c++) RANK[c] = next++;
  for (let c = 1; c < 0x80; c++) if (!isAlpha(c) && !isDigit(c) && c !== 126) RANK[c] = next++;
}

/** Key bytes under construction; reused, so building a key allocates little but the key. */
let buffer = new Uint8Array(1024);
const UNIT = Array.from({ length: 256 }, (_, unit) => String.fromCharCode(unit));

function putPart(at: number, s: string, i: number, end: number): number {
  const b = buffer;
  do {
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (isDigit(c)) break;
      b[at++] = RANK[c]!;
    }
    b[at++] = STOP;
    while (i < end && s.charCodeAt(i) === 48) i++;
    const digitsStart = i;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
    const length = i - digitsStart;
    // One unit holds lengths up to 254; longer runs (absurd, but dpkg takes them) get
    // 255, which sorts above every short length, then a 32-bit length.
    if (length < 255) {
      b[at++] = length;
    } else {
      b[at++] = 255;
      for (let shift = 24; shift >= 0; shift -= 8) b[at++] = (length >>> shift) & 0xff;
    }
    for (let d = digitsStart; d < i; d++) b[at++] = s.charCodeAt(d);
  } while (i < end);
  b[at++] = STOP;
  return at;
}

const layout = newLayout();

function buildKey(text: string): string {
  const code = scan(text, layout);
  if (code > 0) {
    throw new BadInput([{ message: `version '${text}' has bad syntax: ${MESSAGES[code]}` }]);
  }
  let bytes = text;
  if (layout.nonAscii) {
    bytes = utf8ByteString(text);
    // Offsets must point into the byte string; every split point is ASCII, so a second
    // scan lands on the same structure.
    scan(bytes, layout);
  }
  // Each byte yields at most one unit, each round at most six more (STOP and a length),
  // a part has at most one round per byte plus one, and ends with END.
  const need = 4 + 8 * (bytes.length + 2);
  if (buffer.length < need) buffer = new Uint8Array(2 * need);
  const b = buffer;
  const epoch = layout.epoch;
  b[0] = epoch >>> 24;
  b[1] = (epoch >>> 16) & 0xff;
  b[2] = (epoch >>> 8) & 0xff;
  b[3] = epoch & 0xff;
  let at = putPart(4, bytes, layout.upstreamStart, layout.upstreamEnd);
  at = putPart(at, bytes, layout.revisionStart, layout.revisionEnd);
  // Eight units per fromCharCode call measured fastest: no apply() over a typed array.
  let key = '';
  let k = 0;
  for (; k + 8 <= at; k += 8) {
    key += String.fromCharCode(
      b[k]!,
      b[k + 1]!,
      b[k + 2]!,
      b[k + 3]!,
      b[k + 4]!,
      b[k + 5]!,
      b[k + 6]!,
      b[k + 7]!,
    );
  }
  for (; k < at; k++) key += UNIT[b[k]!]!;
  return key;
}

/*
 * Two generations of at most CACHE_GENERATION entries each: when the young one fills up
 * it becomes the old one and the previous old one is dropped. Memory stays bounded and,
 * unlike clearing one map, versions in steady use survive the turnover.
 */
const CACHE_GENERATION = 32_768;
let young = new Map<string, string>();
let old = new Map<string, string>();

function keyOf(text: string): string {
  let key = young.get(text);
  if (key !== undefined) return key;
  key = old.get(text) ?? buildKey(text);
  if (young.size >= CACHE_GENERATION) {
    old = young;
    young = new Map();
  }
  young.set(text, key);
  return key;
}

/**
 * `dpkg --compare-versions` treats an empty argument and the literal `<unknown>` (what
 * dpkg prints for a package with no version) as "no version", lower than every version,
 * even `~`, which plain version comparison would put below an empty version.
 */
function isAbsent(text: string): boolean {
  return text.length === 0 || text === '<unknown>';
}

/**
 * Negative if `a` is older than `b`, 0 if dpkg considers them equal (`1.0` and `1.0-0`,
 * `0:1` and `1`, `01` and `1` are), positive if newer. Throws BadInput for a version that
 * dpkg --compare-versions rejects (it exits 2 for those).
 */
export function compareDebianVersions(a: string, b: string): number {
  if (isAbsent(a) || isAbsent(b)) {
    if (isAbsent(a) && isAbsent(b)) return 0;
    // dpkg still parses the other side, and rejects it if it is malformed.
    if (isAbsent(a)) {
      keyOf(b);
      return -1;
    }
    keyOf(a);
    return 1;
  }
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka === kb ? 0 : ka < kb ? -1 : 1;
}

/**
 * The parts of a version, or undefined when dpkg refuses it (see the module comment).
 * Surrounding blanks are dropped, as dpkg does; an absent revision is `''`.
 */
export function parseDebianVersion(text: string): DebianVersion | undefined {
  const out = newLayout();
  if (scan(text, out) > 0) return undefined;
  return {
    epoch: out.epoch,
    upstream: text.slice(out.upstreamStart, out.upstreamEnd),
    revision: text.slice(out.revisionStart, out.revisionEnd),
  };
}

/** The problem dpkg would report first for this version, or undefined if it is clean. */
export function checkDebianVersion(text: string): DebianVersionProblem | undefined {
  const code = scan(text, newLayout());
  if (code === OK) return undefined;
  return { severity: code > 0 ? 'error' : 'warning', message: MESSAGES[code]! };
}
