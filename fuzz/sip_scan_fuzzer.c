/* libFuzzer target for the C framing of SIP dumps (exporter/formats/_native.c).
 *
 * Every input is framed twice by the C: once straight from libFuzzer's buffer, which is
 * exactly as long as the input (so AddressSanitizer sees a read one byte past it), and
 * once through the module's `scan` as Python calls it, whose answer must equal that of
 * the reference, sip.py's `_scan`, on the same bytes cut at two places; the stamp search
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

static int count_only(void *context, Bytes d, const Start *start, Size block_end,
                      const Headers *h) {
    (void)d, (void)start, (void)block_end, (void)h;
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
    return 0;
}

static void compare(PyObject *bytes, Py_ssize_t end) {
    PyObject *args = Py_BuildValue("(OnO)", bytes, end, method_names);
    PyObject *compiled = scan(NULL, args);
    PyObject *expected = PyObject_CallFunction(reference, "On", bytes, end);
    if (compiled == NULL || expected == NULL) {
        PyErr_Print();
        abort();
    }
    int same;
    if (compiled == Py_None) {
        /* Declined: only where a line may carry a prefix, i.e. data[:end] holds a "|". */
        same = memchr(PyBytes_AS_STRING(bytes), '|', (size_t)end) != NULL;
    } else {
        same = PyObject_RichCompareBool(compiled, expected, Py_EQ);
    }
    if (same != 1) {
        fprintf(stderr, "difference at end=%zd\n", end);
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
    frame(data, (Size)size, (Bytes)PyBytes_AS_STRING(method_names),
          PyBytes_GET_SIZE(method_names), count_only, &messages);
    nearest_dated(data, (Size)size, -1, size ? line_start_of(data, (Size)size - 1) : 0,
                  &fraction, &zone);
    nearest_dated(data, (Size)size, -1, line_start_of(data, cut), &fraction, &zone);
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)size);
    compare(bytes, (Py_ssize_t)size);
    /* A second end inside the input, as a reader's cut leaves it. */
    compare(bytes, cut);
    compare_dated(bytes, -1, size ? (Py_ssize_t)size - 1 : 0);
    compare_dated(bytes, cut / 2, cut);
    Py_DECREF(bytes);
    return 0;
}
