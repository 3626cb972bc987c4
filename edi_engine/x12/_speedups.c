/* The tokenizer's hot loop in C: plain segments of a chunk cut, split and built as Segments.
 *
 * Optional (setup.py builds it with optional=True): edi_engine/x12/tokenizer.py is the reference
 * and is used whenever this module is not built or EDI_ENGINE_PURE_TOKENIZER is set.
 *
 * scan() only handles segments whose reading is plain: terminated, ASCII, not empty or all
 * whitespace, no longer than MAX_SEGMENT_BYTES, with an id already seen and accepted, not an
 * envelope segment, inside a transaction set. At the first segment that is anything else it
 * stops and returns where; tokenizer.py reads that one segment its own way and calls scan()
 * again. So every problem, recovery and envelope transition stays in the Python code, and this
 * file needs to agree with it only on what a plain segment is.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* tokenizer.MAX_SEGMENT_BYTES; tests/x12/test_speedups.py checks the two agree. */
#define MAX_SEGMENT_BYTES (64 * 1024)
#define MAX_ELEMENTS 1024
#define ID_CACHE 16
/* tokenizer.py uses this module only when its API matches: a stale build (scan() with other
 * arguments) is then left unused rather than failing. Raise it whenever scan() changes. */
#define API 1

/* What str.strip() removes among ASCII characters (str.isspace). */
static int
is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static PyObject *empty_str;

static PyObject *
ascii_str(const char *s, Py_ssize_t n)
{
    if (n == 0) {
        Py_INCREF(empty_str);
        return empty_str;
    }
    if (n == 1) {
        return PyUnicode_DecodeLatin1(s, 1, NULL); /* CPython's cached one-character strings */
    }
    PyObject *str = PyUnicode_New(n, 127);
    if (str != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(str), s, (size_t)n);
    }
    return str;
}

/* Segment(sid, elements, offset, index, envelope) without a Python-level call. */
static PyObject *
new_segment(PyTypeObject *type, PyObject *sid, PyObject *elements, Py_ssize_t offset, Py_ssize_t index,
            PyObject *envelope)
{
    PyObject *off = PyLong_FromSsize_t(offset);
    PyObject *idx = off ? PyLong_FromSsize_t(index) : NULL;
    if (idx == NULL) {
        Py_XDECREF(off);
        return NULL;
    }
#if PY_VERSION_HEX < 0x030E0000
    /* What tuple.__new__ does for a tuple subclass (Objects/tupleobject.c, tuple_subtype_new). */
    PyObject *seg = type->tp_alloc(type, 5);
    if (seg == NULL) {
        Py_DECREF(off);
        Py_DECREF(idx);
        return NULL;
    }
    Py_INCREF(sid);
    Py_INCREF(elements);
    Py_INCREF(envelope);
    PyTuple_SET_ITEM(seg, 0, sid);
    PyTuple_SET_ITEM(seg, 1, elements);
    PyTuple_SET_ITEM(seg, 2, off);
    PyTuple_SET_ITEM(seg, 3, idx);
    PyTuple_SET_ITEM(seg, 4, envelope);
    return seg;
#else
    /* Newer tuples cache their hash in the object: go through tuple.__new__ itself. */
    PyObject *items = PyTuple_Pack(5, sid, elements, off, idx, envelope);
    Py_DECREF(off);
    Py_DECREF(idx);
    if (items == NULL) {
        return NULL;
    }
    PyObject *args = PyTuple_Pack(1, items);
    Py_DECREF(items);
    if (args == NULL) {
        return NULL;
    }
    PyObject *seg = PyTuple_Type.tp_new(type, args, NULL);
    Py_DECREF(args);
    return seg;
#endif
}

typedef struct {
    char id[4];
    Py_ssize_t len;
    PyObject *str;
} cached_id;

PyDoc_STRVAR(scan_doc,
"scan(buf, pos, base, index, terminator, separator, envelope, segment_type, valid_ids, envelope_ids, out)\n"
"--\n\n"
"Append a Segment to out for each plain segment of buf from pos on; stop at the first segment\n"
"that is not plain or has no terminator yet. Returns (pos, index) where it stopped.");

static PyObject *
scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 11) {
        PyErr_SetString(PyExc_TypeError, "scan() takes 11 arguments");
        return NULL;
    }
    PyObject *buf = args[0];
    if (!PyBytes_Check(buf)) {
        PyErr_SetString(PyExc_TypeError, "scan(): buf must be bytes");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    Py_ssize_t base = PyLong_AsSsize_t(args[2]);
    Py_ssize_t index = PyLong_AsSsize_t(args[3]);
    long term = PyLong_AsLong(args[4]);
    long esep = PyLong_AsLong(args[5]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    PyObject *envelope = args[6];
    PyObject *type = args[7];
    PyObject *valid_ids = args[8];
    PyObject *envelope_ids = args[9];
    PyObject *out = args[10];
    if (!PyType_Check(type) || !PyType_IsSubtype((PyTypeObject *)type, &PyTuple_Type) || !PyAnySet_Check(valid_ids)
        || !PyAnySet_Check(envelope_ids) || !PyList_Check(out) || term < 0 || term > 255 || esep < 0 || esep > 255) {
        PyErr_SetString(PyExc_TypeError, "scan(): bad arguments");
        return NULL;
    }
    const char *data = PyBytes_AS_STRING(buf);
    Py_ssize_t size = PyBytes_GET_SIZE(buf);
    if (pos < 0 || pos > size) {
        PyErr_SetString(PyExc_ValueError, "scan(): pos out of range");
        return NULL;
    }
    const char *end = data + size;
    const char *p = data + pos;
    const char sep = (char)esep;
    cached_id ids[ID_CACHE];
    int nids = 0;
    Py_ssize_t starts[MAX_ELEMENTS + 1];

    for (;;) {
        const char *t = memchr(p, (int)term, (size_t)(end - p));
        if (t == NULL) {
            break; /* the rest is a segment still arriving */
        }
        const char *s = p, *e = t;
        while (s < e && is_space((unsigned char)*s)) {
            s++;
        }
        if (s == e) {
            break; /* empty or all whitespace: tokenizer.py says which */
        }
        while (is_space((unsigned char)e[-1])) {
            e--;
        }
        if (e - s > MAX_SEGMENT_BYTES) {
            break;
        }
        /* Element boundaries, and any byte above 0x7F (UTF-8 or Latin-1: tokenizer.py decides). */
        Py_ssize_t n = 0;
        int plain = 1;
        starts[0] = 0;
        for (const char *q = s; q < e; q++) {
            unsigned char c = (unsigned char)*q;
            if (c & 0x80) {
                plain = 0;
                break;
            }
            if (*q == sep) {
                if (++n >= MAX_ELEMENTS) {
                    plain = 0;
                    break;
                }
                starts[n] = (q - s) + 1;
            }
        }
        if (!plain) {
            break;
        }
        starts[n + 1] = (e - s) + 1;
        Py_ssize_t idlen = starts[1] - 1;
        PyObject *sid = NULL;
        for (int k = 0; k < nids; k++) {
            if (ids[k].len == idlen && memcmp(ids[k].id, s, (size_t)idlen) == 0) {
                sid = ids[k].str;
                break;
            }
        }
        if (sid == NULL) {
            /* Only ids the tokenizer has accepted (and not the envelope's) are read here. */
            PyObject *probe = ascii_str(s, idlen);
            if (probe == NULL) {
                goto error;
            }
            int valid = PySet_Contains(valid_ids, probe);
            int envelope_id = valid == 1 ? PySet_Contains(envelope_ids, probe) : 0;
            if (valid < 0 || envelope_id < 0) {
                Py_DECREF(probe);
                goto error;
            }
            if (valid != 1 || envelope_id == 1) {
                Py_DECREF(probe);
                break;
            }
            if (idlen <= 3 && nids < ID_CACHE) {
                memcpy(ids[nids].id, s, (size_t)idlen);
                ids[nids].len = idlen;
                ids[nids].str = probe; /* owned until the end of the call */
                nids++;
                sid = probe;
            }
            else {
                Py_DECREF(probe); /* built again below, as any element */
            }
        }
        PyObject *elements = PyTuple_New(n + 1);
        if (elements == NULL) {
            goto error;
        }
        for (Py_ssize_t i = 0; i <= n; i++) {
            PyObject *value;
            if (i == 0 && sid != NULL) {
                Py_INCREF(sid);
                value = sid;
            }
            else {
                value = ascii_str(s + starts[i], starts[i + 1] - starts[i] - 1);
                if (value == NULL) {
                    Py_DECREF(elements);
                    goto error;
                }
            }
            PyTuple_SET_ITEM(elements, i, value);
        }
        /* Strings only: no cycle can pass through it, so the collector need not visit it (CPython
         * untracks such tuples itself, but only once a collection has looked at each of them). */
        PyObject_GC_UnTrack(elements);
        index++;
        PyObject *seg = new_segment((PyTypeObject *)type, PyTuple_GET_ITEM(elements, 0), elements,
                                    base + (s - data), index, envelope);
        Py_DECREF(elements);
        if (seg == NULL) {
            goto error;
        }
        /* Nor this one: strings, ints and the Envelope, itself tuples all the way down. */
        PyObject_GC_UnTrack(seg);
        int failed = PyList_Append(out, seg);
        Py_DECREF(seg);
        if (failed) {
            goto error;
        }
        p = t + 1;
    }
    PyObject *result = Py_BuildValue("(nn)", (Py_ssize_t)(p - data), index);
    for (int k = 0; k < nids; k++) {
        Py_DECREF(ids[k].str);
    }
    return result;
error:
    for (int k = 0; k < nids; k++) {
        Py_DECREF(ids[k].str);
    }
    return NULL;
}
static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "edi_engine.x12._speedups",
    "The tokenizer's plain-segment loop in C (optional; see edi_engine/x12/tokenizer.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    empty_str = PyUnicode_New(0, 0);
    if (empty_str == NULL) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && (PyModule_AddIntConstant(m, "MAX_SEGMENT_BYTES", MAX_SEGMENT_BYTES) < 0
                      || PyModule_AddIntConstant(m, "API", API) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
