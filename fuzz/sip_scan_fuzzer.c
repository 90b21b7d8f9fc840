/* libFuzzer target for the C framing of SIP dumps (exporter/formats/_native.c).
 *
 * Every input is framed twice by the C: once straight from libFuzzer's buffer, which is
 * exactly as long as the input (so AddressSanitizer sees a read one byte past it), and
 * once through the module's `scan` as Python calls it, whose answer must equal that of
 * the reference, sip.py's `_scan`, on the same bytes cut at two places, and each
 * direction and event it makes must equal `SipParser._direction`'s and `_event`'s; the
 * stamp search
 * (`dated_line`) is run and compared the same way. A difference
 * aborts with both answers printed. Built and run by tests/test_native_fuzz.py; see
 * fuzz/README.md for a longer run.
 */
#include "../exporter/formats/_native.c"

#include <stdio.h>
#include <stdlib.h>

static PyObject *reference;    /* exporter.formats.sip._scan */
static PyObject *dated;        /* the reference for `dated_line`, defined below */
static PyObject *method_names; /* exporter.formats.native._METHODS */

static Words source_words[2]; /* utf-8 words; without and with require_wrapper */
static PyObject *agrees;      /* the reference for `scan`, defined below */

static int count_only(void *context, Bytes d, const Start *start, Size block_end,
                      const Headers *h, int direction) {
    (void)d, (void)start, (void)block_end, (void)h, (void)direction;
    ++*(long *)context;
    return 0;
}

static PyObject *import_attribute(const char *module_name, const char *name) {
    PyObject *module = PyImport_ImportModule(module_name);
    PyObject *found = module ? PyObject_GetAttrString(module, name) : NULL;
    Py_XDECREF(module);
    if (found == NULL) {
        PyErr_Print();
        abort();
    }
    return found;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    /* Python's own allocator would hide an overread inside its arenas from ASan. */
    setenv("PYTHONMALLOC", "malloc", 1);
    Py_Initialize();
    /* The checkout this target was built from, so that `exporter` is this tree's. */
    PyRun_SimpleString("import sys; sys.path.insert(0, '" ROOT "')");
    reference = import_attribute("exporter.formats.sip", "_scan");
    method_names = import_attribute("exporter.formats.native", "_METHODS");
    /* What FileClock._nearest finds when the first line that may hold a stamp starts
     * with `yyyy-mm-dd hh:mm:ss` (tests/test_native.py `python_dated_line`). */
    PyRun_SimpleString(
        "from exporter.formats import timestamps as _t\n"
        "def reference_dated(data, floor, line):\n"
        "    for at in _t._lines_up(data, floor, line):\n"
        "        if _t._may_hold_stamp(data, at):\n"
        "            found = _t._STAMP_LINE.match(data, at)\n"
        "            if found is None or found['y'] is None or found.start('y') != at:\n"
        "                return None\n"
        "            return at, found['f'], found['z']\n"
        "    return None\n");
    dated = import_attribute("__main__", "reference_dated");
    /* Whether the C `scan` of data[:end] agrees with sip.py: the same tuples, or None
     * where a "|" could start a prefix; each direction it read equal to
     * `SipParser._direction`'s (tests/test_native.py `assert_same_scan`). */
    PyRun_SimpleString(
        "from exporter.formats import sip as _s, native as _n\n"
        "from exporter.formats.options import SipOptions as _O\n"
        "_parsers = [_s.SipParser(_O()), _s.SipParser(_O(require_wrapper=True))]\n"
        "_codes = {None: _n.NOT_COUNTED, 'in': _n.IN, 'out': _n.OUT, 'unknown': _n.UNKNOWN}\n"
        "def agrees(data, end, wrapper, compiled):\n"
        "    if compiled is None:\n"
        "        return b'|' in data[:end]\n"
        "    parser, expected, prev_end = _parsers[wrapper], _s._scan(data, end), 0\n"
        "    if [m[:13] for m in compiled] != [m[:13] for m in expected]:\n"
        "        return False\n"
        "    for m in compiled:\n"
        "        d = parser._direction(data, prev_end, m[2], m[0])\n"
        "        if m[13] and m[13] != _codes[d if d is None else d.value]:\n"
        "            return False\n"
        "        if m[13] and m[14] != (None if d is None else parser._event(m, d)):\n"
        "            return False\n"
        "        prev_end = m[6]\n"
        "    return True\n"
        "_words = [(_parsers[0]._words.table, False), (_parsers[1]._words.table, True)]\n"
        "_makers = [_parsers[0]._maker, _parsers[1]._maker]\n");
    agrees = import_attribute("__main__", "agrees");
    PyObject *words = import_attribute("__main__", "_words");
    for (int i = 0; i < 2; i++) {
        if (!read_source_words(PyList_GET_ITEM(words, i), &source_words[i])) abort();
    }
    /* `words` stays referenced: source_words point into its bytes. */
    return 0;
}

static void compare(PyObject *bytes, Py_ssize_t end, int wrapper) {
    PyObject *words = import_attribute("__main__", "_words");
    PyObject *makers = import_attribute("__main__", "_makers");
    PyObject *args = Py_BuildValue("(OnOOO)", bytes, end, method_names,
                                   PyList_GET_ITEM(words, wrapper), PyList_GET_ITEM(makers, wrapper));
    PyObject *compiled = scan(NULL, args);
    if (compiled == NULL) {
        PyErr_Print();
        abort();
    }
    PyObject *verdict = PyObject_CallFunction(agrees, "OniO", bytes, end, wrapper, compiled);
    if (verdict == NULL) {
        PyErr_Print();
        abort();
    }
    if (verdict != Py_True) {
        fprintf(stderr, "difference at end=%zd (require_wrapper=%d)\n", end, wrapper);
        PyObject_Print(compiled, stderr, 0);
        fprintf(stderr, "\n");
        abort();
    }
    Py_DECREF(verdict);
    Py_DECREF(args);
    Py_DECREF(compiled);
    Py_DECREF(words);
    Py_DECREF(makers);
}

/* `dated_line` from the start of the line holding `at`, against the reference. */
static void compare_dated(PyObject *bytes, Py_ssize_t floor, Py_ssize_t at) {
    Py_ssize_t line = line_start_of((Bytes)PyBytes_AS_STRING(bytes), at);
    PyObject *args = Py_BuildValue("(Onn)", bytes, floor, line);
    PyObject *compiled = dated_line(NULL, args);
    PyObject *expected = PyObject_CallObject(dated, args);
    if (compiled == NULL || expected == NULL) {
        PyErr_Print();
        abort();
    }
    if (PyObject_RichCompareBool(compiled, expected, Py_EQ) != 1) {
        fprintf(stderr, "dated_line differs at floor=%zd line=%zd\n", floor, line);
        PyObject_Print(compiled, stderr, 0);
        fprintf(stderr, "\n");
        PyObject_Print(expected, stderr, 0);
        fprintf(stderr, "\n");
        abort();
    }
    Py_DECREF(args);
    Py_DECREF(compiled);
    Py_DECREF(expected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    long messages = 0;
    Span fraction, zone;
    Size cut = size ? (Size)(data[0] * size / 256) : 0;
    for (int wrapper = 0; wrapper < 2; wrapper++) {
        frame_with(data, (Size)size, (Size)size, (Bytes)PyBytes_AS_STRING(method_names),
                   PyBytes_GET_SIZE(method_names), &source_words[wrapper], count_only, &messages);
    }
    nearest_dated(data, (Size)size, -1, size ? line_start_of(data, (Size)size - 1) : 0,
                  &fraction, &zone);
    nearest_dated(data, (Size)size, -1, line_start_of(data, cut), &fraction, &zone);
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)size);
    compare(bytes, (Py_ssize_t)size, 0);
    /* A second end inside the input, as a reader's cut leaves it. */
    compare(bytes, cut, size ? data[size - 1] & 1 : 0);
    compare_dated(bytes, -1, size ? (Py_ssize_t)size - 1 : 0);
    compare_dated(bytes, cut / 2, cut);
    Py_DECREF(bytes);
    return 0;
}
