/* The compiled twin of the per-message steps of the `sip` format.
 *
 * `scan(data, end, methods, words)` frames data[:end] into SIP messages exactly as
 * sip.py's `_scan` does with its compiled patterns (`_VERSION`, `_REQUEST_HEAD`,
 * `_HEADER_BLOCK`), returns the same tuples, and adds each message's direction as
 * `SipParser._direction` reads it (directions.py `Words`) and, where that is read, its
 * event as `SipParser._event` makes it. `dated_line` is the common case
 * of timestamps.py `FileClock._nearest`. The Python modules are the reference: every rule
 * below names the pattern or function it mirrors, and what this file does not decide is
 * handed back: a block with a header line that only a supervisor prefix (`15|name | `)
 * could make one (`scan` returns None), a wrapper whose lines may carry such a prefix
 * (direction 0), a stamp of another shape (`dated_line` returns None).
 *
 * Plain C99: every read is bounded by the buffer's length (framing by `end`, a header
 * block by its cap), nothing is allocated per message but the Python objects returned.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef const unsigned char *Bytes;
typedef Py_ssize_t Size;

/* sip.py `_MAX_HEADER_BLOCK`: how long a header block may be before it is cut. */
#define MAX_HEADER_BLOCK 16384
/* sip.py `_PREFIX`: a supervisor prefix is at most 64 bytes before its "|". */
#define PREFIX_BYTES 64
/* sip.py `_REQUEST_HEAD`: a method is 2 to 20 letters. */
#define METHOD_MIN 2
#define METHOD_MAX 20

/* A span of `data`; `at` < 0 is a group that did not match (None). */
typedef struct {
    Size at, end;
} Span;

static const Span NONE = {-1, -1};

/* A start line as sip.py `_starts` gives it: (begin, end, line start, code, reason,
 * method); a request has no code. */
typedef struct {
    Size begin, stop, line_start;
    Span code, reason, method;
} Start;

static int is_blank(unsigned char c) { return c == ' ' || c == '\t'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
/* `\s` of a bytes pattern: space, \t, \n, \v, \f, \r. */
static int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Whether `c` is one of `set` (strchr alone would take the NUL byte too). */
static int in_set(const char *set, unsigned char c) { return c != 0 && strchr(set, c) != NULL; }

static Size skip_blanks(Bytes d, Size at, Size end) {
    while (at < end && is_blank(d[at])) at++;
    return at;
}

/* Whether d[at:] starts with `word`, ASCII letters compared without case ((?i:...)). */
static int has_word(Bytes d, Size at, Size end, const char *word) {
    Size n = (Size)strlen(word);
    if (end - at < n) return 0;
    for (Size i = 0; i < n; i++) {
        unsigned char c = d[at + i], w = (unsigned char)word[i];
        if (c != w && !(is_letter(w) && (c | 0x20) == w)) return 0;
    }
    return 1;
}

static Size line_end(Bytes d, Size at, Size end) {
    const unsigned char *nl = memchr(d + at, '\n', (size_t)(end - at));
    return nl ? (Size)(nl - d) : end;
}

static Size line_start_of(Bytes d, Size at) {
    while (at > 0 && d[at - 1] != '\n') at--;
    return at;
}

/* The rest of a start line, `[ \t]*\r?$` of sip.py `_VERSION`: only blanks, then an
 * optional CR right before the line's end. */
static int only_blanks_to(Bytes d, Size at, Size eol) {
    if (at < eol && d[eol - 1] == '\r') eol--;
    return skip_blanks(d, at, eol) == eol;
}

/* sip.py `_VERSION` at `at`, where "SIP/2.0" stands: the code and reason of a response,
 * or nothing after the version (a request's end). Returns the match's end, or -1. */
static Size match_version(Bytes d, Size at, Size end, Span *code, Span *reason) {
    Size after = at + 7, eol = line_end(d, after, end);
    *code = NONE;
    *reason = NONE;
    /* `[ \t]+(?P<code>\d{3})`: the code after every blank (a blank given back would have
     * to be a digit). */
    Size c = skip_blanks(d, after, eol);
    if (c > after && eol - c >= 3 && is_digit(d[c]) && is_digit(d[c + 1]) && is_digit(d[c + 2])) {
        Size r = c + 3;
        if (r < eol && is_blank(d[r])) {
            /* `[ \t]+(?P<reason>[^\r\n]*?)[ \t]*\r?$`: the lazy reason ends where only
             * blanks and a last CR are left; it may hold no CR itself. */
            Size s = skip_blanks(d, r, eol), e = eol;
            if (e > s && d[e - 1] == '\r') e--;
            while (e > s && is_blank(d[e - 1])) e--;
            if (memchr(d + s, '\r', (size_t)(e - s)) != NULL) return -1;
            code->at = c, code->end = c + 3;
            reason->at = s, reason->end = e;
            return eol;
        }
        if (!only_blanks_to(d, r, eol)) return -1;
        code->at = c, code->end = c + 3;
        return eol;
    }
    /* No code: a request's start line ends with the version. */
    return only_blanks_to(d, after, eol) ? eol : -1;
}

/* Whether d[at:at+n] is one of SIP's methods (sip.py `_REQUEST_HEAD`'s `glued`
 * alternatives); `methods` holds them as " ACK BYE … ". */
static int is_method(Bytes d, Size at, Size n, Bytes methods, Size methods_len) {
    unsigned char needle[METHOD_MAX + 2];
    if (n > METHOD_MAX) return 0;
    needle[0] = ' ';
    memcpy(needle + 1, d + at, (size_t)n);
    needle[n + 1] = ' ';
    for (Size i = 0; i + n + 2 <= methods_len; i++) {
        if (memcmp(methods + i, needle, (size_t)(n + 2)) == 0) return 1;
    }
    return 0;
}

/* sip.py `_REQUEST_HEAD` searched in d[line_start:at], before a request's "SIP/2.0":
 * `METHOD [ \t]+ (sips?|tel|urn):X+ [ \t]+` ending right at the version. The tail is
 * fixed by the line's end, so only the method's first letter is searched for: the
 * leftmost one after a line start or one of ` \t|:]>` (`method`), or after any other
 * printable byte when the letters are one of SIP's methods (`glued`). */
static int request_head(Bytes d, Size line_start, Size at, Bytes methods, Size methods_len,
                        Span *method) {
    Size u = at, v, w, r;
    while (u > line_start && is_blank(d[u - 1])) u--;
    if (u == at) return 0;
    /* `(?:sips?|tel|urn):[^ \t\r\n]+`: the run of such bytes before the blanks. */
    v = u;
    while (v > line_start && !is_blank(d[v - 1]) && d[v - 1] != '\r' && d[v - 1] != '\n') v--;
    Size colon;
    if (u - v >= 5 && memcmp(d + v, "sips:", 5) == 0) colon = v + 4;
    else if (u - v >= 4 && (memcmp(d + v, "sip:", 4) == 0 || memcmp(d + v, "tel:", 4) == 0 ||
                            memcmp(d + v, "urn:", 4) == 0))
        colon = v + 3;
    else return 0;
    if (colon + 1 >= u) return 0;
    /* `[ \t]+` between the method and the URI. */
    w = v;
    while (w > line_start && is_blank(d[w - 1])) w--;
    if (w == v) return 0;
    r = w;
    while (r > line_start && is_letter(d[r - 1])) r--;
    Size first = w - r > METHOD_MAX ? w - METHOD_MAX : r;
    for (Size p = first; p <= w - METHOD_MIN; p++) {
        int after_mark = p == line_start || in_set(" \t|:]>", d[p - 1]);
        if ((p == r && after_mark) ||
            (p > 0 && d[p - 1] >= '!' && d[p - 1] <= '~' &&
             is_method(d, p, w - p, methods, methods_len))) {
            method->at = p, method->end = w;
            return 1;
        }
    }
    return 0;
}

/* The next start line at or after `from` (sip.py `_starts`: `_VERSION.finditer`, then
 * the checks on what stands before a response's version and a request's head). */
static int next_start(Bytes d, Size from, Size end, Bytes methods, Size methods_len, Start *out) {
    Size pos = from;
    while (end - pos >= 7) {
        const unsigned char *found = memchr(d + pos, 'S', (size_t)(end - pos - 6));
        if (found == NULL) return 0;
        Size at = (Size)(found - d);
        if (memcmp(found, "SIP/2.0", 7) != 0) {
            pos = at + 1;
            continue;
        }
        Span code, reason, method = NONE;
        Size stop = match_version(d, at, end, &code, &reason);
        if (stop < 0) {
            pos = at + 1;
            continue;
        }
        Size line_start = line_start_of(d, at);
        pos = stop; /* finditer goes on after the match, accepted or not */
        if (code.at >= 0) {
            /* sip.py `_BEFORE_RESPONSE`: a line start or one of ` \t|:]>.`. */
            if (at != line_start && !in_set(" \t|:]>.", d[at - 1])) continue;
            *out = (Start){at, stop, line_start, code, reason, NONE};
            return 1;
        }
        if (request_head(d, line_start, at, methods, methods_len, &method)) {
            *out = (Start){method.at, stop, line_start, NONE, NONE, method};
            return 1;
        }
    }
    return 0;
}

/* What sip.py `_HEADER_BLOCK` reads: CSeq number and method, Call-ID, From user, To
 * user, top Via branch (groups 1 to 6). */
typedef struct {
    Span group[6];
} Headers;

/* `[ \t]*:` after a header name, whose optional rest (`(?i:rom)?`, `[oO]?`,
 * `(?i:ia)?`) is taken when it is there: the name without it would be followed by a
 * letter, never by a blank or ':'. Returns the position after ':', or -1. */
static Size after_name(Bytes d, Size at, Size eol, const char *rest) {
    if (has_word(d, at, eol, rest)) at += (Size)strlen(rest);
    at = skip_blanks(d, at, eol);
    return at < eol && d[at] == ':' ? at + 1 : -1;
}

/* sip.py `_URI_USER` after the ':': the leftmost `sip:`, `sips:` or `tel:` before the
 * line's first CR that a user part (`[^@;>\s:]+`) follows. */
static int uri_user(Bytes d, Size at, Size eol, Span *user) {
    const unsigned char *cr = memchr(d + at, '\r', (size_t)(eol - at));
    Size stop = cr ? (Size)(cr - d) : eol;
    for (Size q = at; q < stop; q++) {
        Size colon = -1;
        if (eol - q >= 4 && memcmp(d + q, "sip:", 4) == 0) colon = q + 3;
        else if (eol - q >= 5 && memcmp(d + q, "sips:", 5) == 0) colon = q + 4;
        else if (eol - q >= 4 && memcmp(d + q, "tel:", 4) == 0) colon = q + 3;
        if (colon < 0) continue;
        Size e = colon + 1;
        while (e < eol && !is_space(d[e]) && !in_set("@;>:", d[e])) e++;
        if (e > colon + 1) {
            user->at = colon + 1, user->end = e;
            return 1;
        }
    }
    return 0;
}

static Size to_delimiter(Bytes d, Size at, Size eol, const char *delimiters) {
    while (at < eol && !in_set(delimiters, d[at])) at++;
    return at;
}

/* `(?i:branch)[ \t]*=` at `at`; returns the position after '=', or -1. */
static Size branch_word(Bytes d, Size at, Size eol) {
    if (!has_word(d, at, eol, "branch")) return -1;
    at = skip_blanks(d, at + 6, eol);
    return at < eol && d[at] == '=' ? at + 1 : -1;
}

/* sip.py `_VIA_BRANCH`: the parameters of the first via-value are skipped up to a
 * `branch=`, never past a ','; the group is empty when there is none. */
static void via_branch(Bytes d, Size at, Size eol, Span *branch) {
    Size value = -1;
    for (;;) {
        Size semi = to_delimiter(d, at, eol, ";,\r\n");
        if (semi >= eol || d[semi] != ';') {
            value = to_delimiter(d, at, eol, ",\r\n");
            break;
        }
        Size next = skip_blanks(d, semi + 1, eol), eq = branch_word(d, next, eol);
        if (eq >= 0) {
            value = skip_blanks(d, eq, eol);
            break;
        }
        at = next;
    }
    Size e = value;
    while (e < eol && !is_space(d[e]) && !in_set(";,>", d[e])) e++;
    branch->at = value, branch->end = e;
}

/* sip.py `_NAMED`: a named header at the line's start (after blanks), each read only
 * while its group is still unset. Captures into `h` and returns 1 when the line is one. */
static int named_header(Bytes d, Size line, Size eol, Headers *h) {
    Size k = skip_blanks(d, line, eol), q;
    if (k >= eol) return 0;
    unsigned char c = d[k];
    Span *g = h->group;
    if ((c == 'c' || c == 'C') && g[0].at < 0 && has_word(d, k + 1, eol, "seq")) {
        /* CSeq: `[ \t]*:[ \t]*(\d+)[ \t]+([A-Za-z]+)` */
        q = skip_blanks(d, k + 4, eol);
        if (q < eol && d[q] == ':') {
            Size n0 = skip_blanks(d, q + 1, eol), n1 = n0;
            while (n1 < eol && is_digit(d[n1])) n1++;
            Size m0 = skip_blanks(d, n1, eol), m1 = m0;
            while (m1 < eol && is_letter(d[m1])) m1++;
            if (n1 > n0 && m0 > n1 && m1 > m0) {
                g[0] = (Span){n0, n1}, g[1] = (Span){m0, m1};
                return 1;
            }
        }
    }
    if (in_set("cCiI", c) && g[2].at < 0) {
        /* Call-ID, or its compact form i: `[ \t]*:[ \t]*([^\s]+)` */
        q = c == 'c' || c == 'C' ? (has_word(d, k + 1, eol, "all-id") ? k + 7 : -1) : k + 1;
        if (q >= 0) {
            q = skip_blanks(d, q, eol);
            if (q < eol && d[q] == ':') {
                Size v0 = skip_blanks(d, q + 1, eol), v1 = v0;
                while (v1 < eol && !is_space(d[v1])) v1++;
                if (v1 > v0) {
                    g[2] = (Span){v0, v1};
                    return 1;
                }
            }
        }
    }
    if ((c == 'f' || c == 'F') && g[3].at < 0) {
        q = after_name(d, k + 1, eol, "rom");
        if (q >= 0 && uri_user(d, q, eol, &g[3])) return 1;
    }
    if ((c == 't' || c == 'T') && g[4].at < 0) {
        q = after_name(d, k + 1, eol, "o");
        if (q >= 0 && uri_user(d, q, eol, &g[4])) return 1;
    }
    if ((c == 'v' || c == 'V') && g[5].at < 0) {
        q = after_name(d, k + 1, eol, "ia");
        if (q >= 0) {
            via_branch(d, q, eol, &g[5]);
            return 1;
        }
    }
    return 0;
}

/* sip.py `_HEADER`: `[!-9;-~]++[ \t]*+:` or `[ \t]++\S` at the line's start. */
static int any_header(Bytes d, Size line, Size eol) {
    Size k = line;
    if (k < eol && is_blank(d[k])) {
        k = skip_blanks(d, k, eol);
        return k < eol && !is_space(d[k]);
    }
    while (k < eol && d[k] >= '!' && d[k] <= '~' && d[k] != ':') k++;
    if (k == line) return 0;
    k = skip_blanks(d, k, eol);
    return k < eol && d[k] == ':';
}

/* Whether sip.py `_PREFIX` could start the line: a "|" within its first 64 bytes, before
 * any CR. Such a line is left to the Python framing. */
static int may_have_prefix(Bytes d, Size line, Size eol) {
    Size last = line + PREFIX_BYTES < eol - 1 ? line + PREFIX_BYTES : eol - 1;
    for (Size k = line; k <= last; k++) {
        if (d[k] == '|') return 1;
        if (d[k] == '\r') return 0;
    }
    return 0;
}

/* sip.py `_HEADER_BLOCK.match(data, first, cap)`: consecutive header lines, each ended
 * by "\n" before `cap`. Returns the block's end, or -1 when a line needs the prefix
 * rules (the caller then frames the block in Python). */
static Size header_block(Bytes d, Size first, Size cap, Headers *h) {
    Size line = first;
    for (;;) {
        const unsigned char *nl = memchr(d + line, '\n', (size_t)(cap - line));
        if (nl == NULL) return line;
        Size eol = (Size)(nl - d);
        if (!named_header(d, line, eol, h) && !any_header(d, line, eol)) {
            return may_have_prefix(d, line, eol) ? -1 : line;
        }
        line = eol + 1;
    }
}

static PyObject *span_bytes(Bytes d, Span s) {
    if (s.at < 0) Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)d + s.at, s.end - s.at);
}

/* --- Events: sip.py `SipParser._event` -------------------------------------------- */

/* What an event is made of: the `Event` type, `Kind.REQUEST` and `Kind.RESPONSE`, the
 * `Direction` of each direction code, the source's encoding, and sip.py's `_METHOD_TEXT`
 * and `_CODE_TEXT`. Borrowed from the caller's arguments for one call. */
typedef struct {
    PyTypeObject *event;
    PyObject *request, *response, *directions, *method_text, *code_text;
    const char *encoding;
} Maker;

/* `x.decode("ascii", "replace") if x else ""` */
static PyObject *ascii_text(PyObject *raw) {
    if (raw == Py_None || PyBytes_GET_SIZE(raw) == 0) return PyUnicode_New(0, 0);
    return PyUnicode_DecodeASCII(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), "replace");
}

/* `_METHOD_TEXT.get(method) or method.decode("ascii").upper()` */
static PyObject *method_text(const Maker *m, PyObject *method) {
    PyObject *known = PyDict_GetItemWithError(m->method_text, method);
    if (known != NULL) return Py_NewRef(known);
    if (PyErr_Occurred()) return NULL;
    PyObject *text = ascii_text(method);
    PyObject *upper = text ? PyObject_CallMethod(text, "upper", NULL) : NULL;
    Py_XDECREF(text);
    return upper;
}

/* sip.py `SipParser._event` for one framed message (`items`) going `direction`. */
static PyObject *make_event(const Maker *m, PyObject *const *items, int direction) {
    PyObject *fields[10] = {NULL};
    PyObject *code = items[3];
    if (code == Py_None) {
        fields[0] = Py_NewRef(m->request);
        fields[2] = method_text(m, items[5]);
        fields[3] = PyUnicode_New(0, 0);
        fields[4] = PyUnicode_New(0, 0);
    } else {
        /* `cseq_method or b""` */
        PyObject *empty = PyBytes_FromStringAndSize("", 0);
        fields[0] = Py_NewRef(m->response);
        fields[2] = empty ? method_text(m, items[8] == Py_None ? empty : items[8]) : NULL;
        Py_XDECREF(empty);
        PyObject *known = PyDict_GetItemWithError(m->code_text, code);
        fields[3] = known ? Py_NewRef(known) : ascii_text(code);
        PyObject *reason = PyUnicode_Decode(PyBytes_AS_STRING(items[4]),
                                            PyBytes_GET_SIZE(items[4]), m->encoding, "replace");
        fields[4] = reason ? PyObject_CallMethod(reason, "strip", NULL) : NULL;
        Py_XDECREF(reason);
    }
    fields[1] = Py_XNewRef(PyTuple_GetItem(m->directions, direction));
    fields[5] = ascii_text(items[9]);
    fields[6] = ascii_text(items[10]);
    fields[7] = ascii_text(items[11]);
    fields[8] = ascii_text(items[7]);
    fields[9] = ascii_text(items[12]);
    /* An `Event` is a named tuple: a tuple of its type holding the ten fields. */
    PyObject *event = m->event->tp_alloc(m->event, 10);
    for (int i = 0; i < 10; i++) {
        if (fields[i] == NULL || event == NULL) {
            for (int j = 0; j < 10; j++) Py_XDECREF(fields[j]);
            Py_XDECREF(event);
            return NULL;
        }
    }
    for (int i = 0; i < 10; i++) PyTuple_SET_ITEM(event, i, fields[i]);
    return event;
}

/* One message as sip.py `_scan` gives it: (begin, end, line start, code, reason,
 * method, block end, CSeq number, CSeq method, Call-ID, From user, To user, branch,
 * direction code, event). The event is made when the direction is read and counted. */
static PyObject *framed(Bytes d, const Start *s, Size block_end, const Headers *h,
                        int direction, const Maker *maker) {
    PyObject *t = PyTuple_New(15);
    if (t == NULL) return NULL;
    PyObject *items[15] = {
        PyLong_FromSsize_t(s->begin),
        PyLong_FromSsize_t(s->stop),
        PyLong_FromSsize_t(s->line_start),
        span_bytes(d, s->code),
        s->reason.at < 0 ? PyBytes_FromStringAndSize("", 0) : span_bytes(d, s->reason),
        s->method.at < 0 ? PyBytes_FromStringAndSize("", 0) : span_bytes(d, s->method),
        PyLong_FromSsize_t(block_end),
    };
    for (int i = 0; i < 6; i++) items[7 + i] = span_bytes(d, h->group[i]);
    items[13] = PyLong_FromLong(direction);
    int complete = 1;
    for (int i = 0; i < 14; i++) complete = complete && items[i] != NULL;
    int counted = direction >= 1 && direction <= 3; /* IN, OUT, UNKNOWN */
    if (complete) {
        items[14] = maker != NULL && counted ? make_event(maker, items, direction)
                                             : Py_NewRef(Py_None);
    }
    for (int i = 0; i < 15; i++) {
        if (items[i] == NULL) {
            for (int j = 0; j < 15; j++) Py_XDECREF(items[j]);
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, items[i]);
    }
    return t;
}

/* --- Dating: the nearest stamped line above an event (timestamps.py `FileClock._nearest`) */

/* timestamps.py `_may_hold_stamp`: a line can hold a stamp when it starts with `time:`,
 * `send ` or `recv `, or has `dd:dd:dd` around a ':' among its first 90 bytes (the digits
 * after that ':' may stand past the line's end, as in the Python slices). */
static int may_hold_stamp(Bytes d, Size size, Size line) {
    if (size - line >= 5 && (memcmp(d + line, "time:", 5) == 0 || memcmp(d + line, "send ", 5) == 0 ||
                             memcmp(d + line, "recv ", 5) == 0))
        return 1;
    Size stop = line + 90 < size ? line + 90 : size;
    const unsigned char *nl = memchr(d + line, '\n', (size_t)(stop - line));
    if (nl != NULL) stop = (Size)(nl - d);
    for (Size colon = line; colon < stop; colon++) {
        if (d[colon] != ':' || colon < 2 || colon + 3 >= size) continue;
        if (d[colon + 3] == ':' && is_digit(d[colon - 2]) && is_digit(d[colon - 1]) &&
            is_digit(d[colon + 1]) && is_digit(d[colon + 2]))
            return 1;
    }
    return 0;
}

/* Whether d[at:] starts with `shape`, where '9' stands for any digit. */
static int has_shape(Bytes d, Size size, Size at, const char *shape) {
    Size n = (Size)strlen(shape);
    if (size - at < n) return 0;
    for (Size i = 0; i < n; i++) {
        if (shape[i] == '9' ? !is_digit(d[at + i]) : d[at + i] != (unsigned char)shape[i]) return 0;
    }
    return 1;
}

/* timestamps.py `_STAMP_LINE`'s first alternative at a line's start, the common shape
 * `yyyy-mm-dd[T \t]hh:mm:ss`, then `(?:[.,](\d{1,9}))?` and
 * `(?:[ ]?(Z|[+-]\d{2}:?\d{2})(?![\d:]))?`. A digit first passes the header test and
 * the empty prefix is tried first, so this is the match `_STAMP_LINE.match` finds. */
static int date_time_at(Bytes d, Size size, Size line, Span *fraction, Span *zone) {
    if (!has_shape(d, size, line, "9999-99-99") || !has_shape(d, size, line + 11, "99:99:99"))
        return 0;
    unsigned char between = d[line + 10];
    if (between != 'T' && between != ' ' && between != '\t') return 0;
    Size at = line + 19;
    *fraction = NONE;
    *zone = NONE;
    if (at + 1 < size && (d[at] == '.' || d[at] == ',') && is_digit(d[at + 1])) {
        Size e = at + 1;
        while (e < size && e < at + 10 && is_digit(d[e])) e++;
        *fraction = (Span){at + 1, e};
        at = e;
    }
    Size z = at < size && d[at] == ' ' ? at + 1 : at, e = -1;
    if (z < size && d[z] == 'Z') e = z + 1;
    else if (has_shape(d, size, z + 1, "99") && z < size && (d[z] == '+' || d[z] == '-')) {
        Size m = z + 3 < size && d[z + 3] == ':' ? z + 4 : z + 3;
        if (has_shape(d, size, m, "99")) e = m + 2;
    }
    if (e >= 0 && !(e < size && (is_digit(d[e]) || d[e] == ':'))) *zone = (Span){z, e};
    return 1;
}

/* timestamps.py `FileClock._nearest`, the common case: walking up from `line` (while
 * lines start after `floor`, `_lines_up`), the first line that may hold a stamp, when it
 * holds one of the common shape: its start (and the stamp's fraction and zone). -1
 * otherwise: no such line, or one that Python must read. */
static Size nearest_dated(Bytes d, Size size, Size floor, Size line, Span *fraction, Span *zone) {
    if (line > size) line = size;
    while (line > floor && line >= 0) {
        if (may_hold_stamp(d, size, line)) return date_time_at(d, size, line, fraction, zone) ? line : -1;
        if (line == 0) return -1;
        line = line_start_of(d, line - 1);
    }
    return -1;
}

/* `nearest_dated` for Python: (line, fraction, zone), or None. */
static PyObject *dated_line(PyObject *module, PyObject *args) {
    Py_buffer data;
    Py_ssize_t floor, line;
    Span fraction, zone;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*nn", &data, &floor, &line)) return NULL;
    Bytes d = data.buf;
    Size found = nearest_dated(d, data.len, floor, line, &fraction, &zone);
    PyObject *result = NULL;
    if (found < 0) {
        result = Py_NewRef(Py_None);
    } else {
        PyObject *f = span_bytes(d, fraction), *z = span_bytes(d, zone);
        result = f && z ? Py_BuildValue("(nOO)", found, f, z) : NULL;
        Py_XDECREF(f);
        Py_XDECREF(z);
    }
    PyBuffer_Release(&data);
    return result;
}

/* --- Direction: sip.py `SipParser._direction` and directions.py `Words` ------------- */

/* How many words and marks a source may have for the C to read its directions, and how
 * long each may be; a source with more is read in Python. */
#define MAX_WORDS 64
#define MAX_MARKS 8
#define MAX_WORD_BYTES 64

/* A direction word (directions.py `Word`): lowered, whole word only, incoming. */
typedef struct {
    const unsigned char *raw;
    Size len;
    int whole, incoming;
} Word;

typedef struct {
    Word own[MAX_WORDS], builtin[MAX_WORDS];
    int own_count, builtin_count;
    const unsigned char *marks[MAX_MARKS];
    Size mark_len[MAX_MARKS];
    int mark_count, require_wrapper;
} Words;

/* The message's direction as `_frame` takes it: 0 for Python to read it. */
enum { UNDECIDED = 0, IN = 1, OUT = 2, UNKNOWN = 3, NOT_COUNTED = 4 };

/* sip.py `_WINDOW`: how far before a start line its wrapper may stand. */
#define WINDOW 2048

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* directions.py `_WORD_BYTE`, on a lowered byte: [_0-9a-z\x80-\xff]. */
static int word_byte(unsigned char c) {
    return c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') || c >= 0x80;
}

static int is_word_char(unsigned char c) { return c == '_' || is_digit(c) || is_letter(c); }

/* sip.py `_FILLER` on the line d[line:position] (ending in "\n"), when it holds no "|" a
 * prefix could end in: blanks around a run of `-=~|*#_.+`, or a short `key: value`
 * (a letter, up to 24 more of `[\w-]`, blanks, ':', at most 120 bytes and blanks). */
static int is_filler(Bytes d, Size line, Size position) {
    if (position <= line || d[position - 1] != '\n') return 0;
    Size end = position - 1;
    if (end > line && d[end - 1] == '\r') end--;
    if (memchr(d + line, '\r', (size_t)(end - line)) != NULL) return 0;
    while (end > line && is_blank(d[end - 1])) end--;
    Size k = skip_blanks(d, line, end);
    Size marks = k;
    while (marks < end && in_set("-=~|*#_.+", d[marks])) marks++;
    if (marks == end) return 1;
    if (k >= end || !is_letter(d[k])) return 0;
    Size name = k + 1;
    while (name < end && (is_word_char(d[name]) || d[name] == '-')) name++;
    if (name - k - 1 > 24) return 0;
    Size colon = skip_blanks(d, name, end);
    return colon < end && d[colon] == ':' && end - (colon + 1) <= 120;
}

/* sip.py `_preamble_start`: from the message's line up over filler lines (at most
 * `WINDOW` bytes, never before `floor`) to the line where its wrapper starts. -1 when a
 * line on the way may hold a supervisor prefix ("|" in its first 65 bytes): Python walks. */
static Size preamble_start(Bytes d, Size size, Size floor, Size line_start) {
    Size position = line_start;
    while (position > floor && line_start - position < WINDOW) {
        /* `data.rfind(b"\n", floor, position - 1) + 1 or floor` */
        Size previous = position - 1;
        while (previous > floor && d[previous - 1] != '\n') previous--;
        if (previous < floor) previous = floor;
        unsigned char first = d[previous];
        int filler_first = in_set(" \t\r\n-=~|*#_.+", first) || is_letter(first);
        Size reach = previous + 65 < size ? previous + 65 : size;
        int pipe = memchr(d + previous, '|', (size_t)(reach - previous)) != NULL;
        if (!filler_first && !pipe) return previous;
        if (pipe) return -1;
        if (!is_filler(d, previous, position)) return previous;
        position = previous;
    }
    return position;
}

/* directions.py `Words.direction`'s search over the reversed, lowered span: the word
 * ending nearest before `end`, the first in `words` order at that end. */
static int nearest_word(Bytes d, Size start, Size end, const Word *words, int count) {
    for (Size q = end - 1; q >= start; q--) {
        unsigned char last = lower(d[q]);
        for (int i = 0; i < count; i++) {
            const Word *w = &words[i];
            Size s = q - w->len + 1;
            if (w->raw[w->len - 1] != last || s < start) continue;
            Size k = 0;
            while (k < w->len && lower(d[s + k]) == w->raw[k]) k++;
            if (k < w->len) continue;
            if (w->whole && ((q + 1 < end && word_byte(lower(d[q + 1]))) ||
                             (s > start && word_byte(lower(d[s - 1])))))
                continue;
            return w->incoming ? IN : OUT;
        }
    }
    return UNDECIDED;
}

/* directions.py `_arrow_direction`: `<--` alone means in, `-->` alone out. */
static int arrows(Bytes d, Size start, Size end) {
    int left = 0, right = 0;
    Size p = start;
    while (p < end) {
        Size e = p + 1;
        while (e < end && d[e] == '-') e++;
        if (d[p] == '<' && e - p - 1 >= 2) {
            left = 1;
            p = e;
        } else if (d[p] == '-' && e - p >= 2 && e < end && d[e] == '>') {
            right = 1;
            p = e + 1;
        } else {
            /* No arrow starts inside a run of dashes that ends without a ">". */
            p = d[p] == '-' ? e : p + 1;
        }
    }
    return left == right ? UNDECIDED : left ? IN : OUT;
}

/* sip.py `SipParser._direction` for the message whose start line starts at `line_start`
 * (its method or version at `begin`), the previous one's header block ending at `prev_end`. */
static int direction_of(Bytes d, Size size, const Words *w, Size prev_end, Size line_start,
                        Size begin) {
    Size wrapper;
    if (w->require_wrapper) {
        /* The line right before the message: `data.rfind(b"\n", 0, max(line_start - 1, 0))` */
        Size previous = line_start - 1 > 0 ? line_start - 1 : 0;
        while (previous > 0 && d[previous - 1] != '\n') previous--;
        wrapper = previous > prev_end ? previous : prev_end;
    } else {
        wrapper = preamble_start(d, size, prev_end, line_start);
        if (wrapper < 0) return UNDECIDED;
    }
    for (int i = 0; i < w->mark_count; i++) {
        Size n = w->mark_len[i];
        for (Size p = wrapper; p + n <= begin; p++) {
            if (memcmp(d + p, w->marks[i], (size_t)n) == 0) return NOT_COUNTED;
        }
    }
    int found = nearest_word(d, wrapper, begin, w->own, w->own_count);
    if (found == UNDECIDED) found = nearest_word(d, wrapper, begin, w->builtin, w->builtin_count);
    if (found == UNDECIDED) found = arrows(d, wrapper, begin);
    if (found == UNDECIDED) return w->require_wrapper ? NOT_COUNTED : UNKNOWN;
    return found;
}

/* A list of directions.py `Word` tuples into `out`; 0 when it cannot be read here. */
static int read_words(PyObject *list, Word *out, int *count) {
    if (!PyTuple_Check(list) || PyTuple_GET_SIZE(list) > MAX_WORDS) return 0;
    *count = (int)PyTuple_GET_SIZE(list);
    for (int i = 0; i < *count; i++) {
        PyObject *item = PyTuple_GET_ITEM(list, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3) return 0;
        PyObject *raw = PyTuple_GET_ITEM(item, 0);
        if (!PyBytes_Check(raw) || PyBytes_GET_SIZE(raw) < 1 ||
            PyBytes_GET_SIZE(raw) > MAX_WORD_BYTES)
            return 0;
        out[i] = (Word){(const unsigned char *)PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw),
                        PyObject_IsTrue(PyTuple_GET_ITEM(item, 1)),
                        PyObject_IsTrue(PyTuple_GET_ITEM(item, 2))};
    }
    return 1;
}

/* A source's `(table, require_wrapper)` (directions.py `Table`); 0 when the C cannot
 * read its directions, which Python then reads. */
static int read_source_words(PyObject *source, Words *w) {
    if (!PyTuple_Check(source) || PyTuple_GET_SIZE(source) != 2) return 0;
    PyObject *table = PyTuple_GET_ITEM(source, 0);
    w->require_wrapper = PyObject_IsTrue(PyTuple_GET_ITEM(source, 1));
    if (!PyTuple_Check(table) || PyTuple_GET_SIZE(table) != 3) return 0;
    PyObject *marks = PyTuple_GET_ITEM(table, 2);
    if (!read_words(PyTuple_GET_ITEM(table, 0), w->own, &w->own_count) ||
        !read_words(PyTuple_GET_ITEM(table, 1), w->builtin, &w->builtin_count) ||
        !PyTuple_Check(marks) || PyTuple_GET_SIZE(marks) > MAX_MARKS)
        return 0;
    w->mark_count = (int)PyTuple_GET_SIZE(marks);
    for (int i = 0; i < w->mark_count; i++) {
        PyObject *mark = PyTuple_GET_ITEM(marks, i);
        if (!PyBytes_Check(mark) || PyBytes_GET_SIZE(mark) < 1) return 0;
        w->marks[i] = (const unsigned char *)PyBytes_AS_STRING(mark);
        w->mark_len[i] = PyBytes_GET_SIZE(mark);
    }
    return 1;
}

/* What `frame` hands each message to: returns 0 to go on, -1 to stop (an error). */
typedef int (*Emit)(void *context, Bytes d, const Start *start, Size block_end, const Headers *h,
                    int direction);

enum { FRAMED = 1, DECLINED = 0, STOPPED = -1 };

/* sip.py `_scan`: every message of d[:end] with its header block, in order, handed to
 * `emit` with its direction (`direction_of`, when `words` is given; the direction
 * searches may read up to `size`, as the Python ones do). DECLINED when a block needs the
 * Python framing (nothing emitted is then of use). */
static int frame_with(Bytes d, Size size, Size end, Bytes methods, Size methods_len,
                      const Words *words, Emit emit, void *context) {
    Start current, next;
    Size prev_end = 0;
    int more = next_start(d, 0, end, methods, methods_len, &current);
    while (more) {
        int has_next = next_start(d, current.stop, end, methods, methods_len, &next);
        Size limit = has_next ? next.line_start : end;
        Headers h = {{NONE, NONE, NONE, NONE, NONE, NONE}};
        /* The header block starts on the line after the start line, if one is there. */
        const unsigned char *nl =
            current.stop < limit ? memchr(d + current.stop, '\n', (size_t)(limit - current.stop))
                                 : NULL;
        Size block_end = limit;
        if (nl != NULL) {
            Size first = (Size)(nl - d) + 1;
            Size cap = limit - first > MAX_HEADER_BLOCK ? first + MAX_HEADER_BLOCK : limit;
            block_end = header_block(d, first, cap, &h);
        }
        if (block_end < 0) return DECLINED;
        int direction = words == NULL ? UNDECIDED
                                      : direction_of(d, size, words, prev_end,
                                                     current.line_start, current.begin);
        if (emit(context, d, &current, block_end, &h, direction) < 0) return STOPPED;
        prev_end = block_end;
        current = next;
        more = has_next;
    }
    return FRAMED;
}



typedef struct {
    PyObject *list;
    const Maker *maker;
} Collected;

static int append_framed(void *context, Bytes d, const Start *start, Size block_end,
                         const Headers *h, int direction) {
    Collected *into = context;
    PyObject *item = framed(d, start, block_end, h, direction, into->maker);
    int failed = item == NULL || PyList_Append(into->list, item) < 0;
    Py_XDECREF(item);
    return failed ? -1 : 0;
}

/* sip.py `_scan` for Python: the list of message tuples, or None when a block needs the
 * Python framing. */
/* A source's `(Event, Kind.REQUEST, Kind.RESPONSE, directions, encoding, method texts,
 * code texts)` (sip.py `SipParser._maker`); 0 when it is not that shape. */
static int read_maker(PyObject *source, Maker *m) {
    if (!PyTuple_Check(source) || PyTuple_GET_SIZE(source) != 7) return 0;
    PyObject *event = PyTuple_GET_ITEM(source, 0), *directions = PyTuple_GET_ITEM(source, 3);
    PyObject *encoding = PyTuple_GET_ITEM(source, 4);
    if (!PyType_Check(event) || !PyType_IsSubtype((PyTypeObject *)event, &PyTuple_Type) ||
        !PyTuple_Check(directions) || PyTuple_GET_SIZE(directions) != 4 ||
        !PyUnicode_Check(encoding) || !PyDict_Check(PyTuple_GET_ITEM(source, 5)) ||
        !PyDict_Check(PyTuple_GET_ITEM(source, 6)))
        return 0;
    m->encoding = PyUnicode_AsUTF8(encoding);
    if (m->encoding == NULL) {
        PyErr_Clear();
        return 0;
    }
    m->event = (PyTypeObject *)event;
    m->request = PyTuple_GET_ITEM(source, 1);
    m->response = PyTuple_GET_ITEM(source, 2);
    m->directions = directions;
    m->method_text = PyTuple_GET_ITEM(source, 5);
    m->code_text = PyTuple_GET_ITEM(source, 6);
    return 1;
}

/* sip.py `_scan` for Python: the list of message tuples (with each message's direction
 * and event when the source's words and event maker are given), or None when a block
 * needs the Python framing. */
static PyObject *scan(PyObject *module, PyObject *args) {
    Py_buffer data, methods;
    Py_ssize_t end;
    PyObject *source = Py_None, *making = Py_None;
    Words words;
    Maker maker;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*ny*|OO", &data, &end, &methods, &source, &making)) return NULL;
    if (end < 0 || end > data.len) end = end < 0 ? 0 : data.len;
    /* Directions only for a source whose words the C can hold; Python reads the others. */
    const Words *known = source != Py_None && read_source_words(source, &words) ? &words : NULL;
    Collected into = {PyList_New(0), making != Py_None && read_maker(making, &maker) ? &maker : NULL};
    if (into.list != NULL) {
        int done = frame_with(data.buf, data.len, end, methods.buf, methods.len, known,
                              append_framed, &into);
        if (done != FRAMED) {
            Py_CLEAR(into.list);
            if (done == DECLINED) into.list = Py_NewRef(Py_None);
        }
    }
    PyBuffer_Release(&data);
    PyBuffer_Release(&methods);
    return into.list;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(data, end, methods, words=None, maker=None) -> list | None: sip.py's _scan "
     "(with each message's direction and event when words and maker are given), or None "
     "for Python."},
    {"dated_line", dated_line, METH_VARARGS,
     "dated_line(data, floor, line) -> (line, fraction, zone) | None: FileClock._nearest's "
     "common case."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "Compiled framing of SIP message dumps.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "MAX_HEADER_BLOCK", MAX_HEADER_BLOCK) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
