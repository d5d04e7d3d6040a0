/* leakguard._ccensus: the census hot loop, in C.
 *
 * A Tally consumes the list returned by gc.get_objects() from its end, a chunk
 * per call, so that the Python caller can let other threads run between
 * chunks.  For each object it reads only the type pointer and fields of the
 * builtin C structs (never a user __len__, __class__, __sizeof__ or __hash__),
 * counts it in an open-addressing table keyed by the type pointer, adds an
 * estimate of its shallow size, and offers dict/list/set/frozenset/deque
 * objects (and subclasses) to a bounded min-heap of the biggest containers.
 *
 * Popping each item off the list and dropping the list's reference right
 * after reading it merges the census into the pass that freeing the list
 * would make anyway: the object header is touched once, while it is in cache.
 *
 * Size estimates (bytes), all including the gc header and, on 3.11+, the
 * managed-dict pre-header, as sys.getsizeof() does:
 *   every object     tp_basicsize + tp_itemsize * |Py_SIZE(obj)|
 *   list             + allocated * sizeof(PyObject *)
 *   set, frozenset   + (mask + 1) * sizeof(setentry) once off the small table
 *   deque            + one 64-slot block (66 pointers) per 64 items, plus one
 *   dict, combined   + 32 + n * i + (2n / 3) * 24, where n is the smallest
 *                    power of two >= 8 whose two thirds hold the items, i is
 *                    the index width (1, 2, 4 or 8 bytes) and 24 the size of a
 *                    general entry (str-keyed dicts on 3.11+ use 16, so this
 *                    overstates them by up to a third)
 *   dict, split      + one pointer per item (keys are shared with the class)
 *
 * Type pointers in the table are strong references for as long as the tally
 * holds them: dropping the list's references can free objects, and a freed
 * type's address must not be reused by another type within one census.
 * result() hands everything over and leaves the tally empty.  Nothing here
 * hashes or compares a type object: the table is keyed by its address.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef Py_GIL_DISABLED
#error "leakguard._ccensus relies on the GIL; the pure-Python census is used instead"
#endif

#if defined(Py_TPFLAGS_PREHEADER)
#define PREHEADER_FLAGS Py_TPFLAGS_PREHEADER
#elif defined(Py_TPFLAGS_MANAGED_DICT)
#define PREHEADER_FLAGS Py_TPFLAGS_MANAGED_DICT
#else
#define PREHEADER_FLAGS 0
#endif

#define GC_HEADER ((Py_ssize_t)(2 * sizeof(void *)))
#define DEQUE_BLOCK_ITEMS 64
#define DEQUE_BLOCK_BYTES ((Py_ssize_t)((DEQUE_BLOCK_ITEMS + 2) * sizeof(void *)))
#define DICT_KEYS_HEADER 32
#define DICT_ENTRY_BYTES 24
#define FIRST_TABLE_SIZE 1024
#define PREFETCH_AHEAD 16

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch((p), 1, 3)
#else
#define PREFETCH(p) ((void)(p))
#endif

enum { KIND_OTHER, KIND_DICT, KIND_LIST, KIND_SET, KIND_DEQUE };

/* _collections.deque (not collections.deque, which a program may rebind), looked up once. */
static PyTypeObject *deque_type = NULL;

typedef struct {
    PyTypeObject *type; /* strong reference; NULL marks an empty slot */
    Py_ssize_t count;
    Py_ssize_t bytes;
    Py_ssize_t base; /* fixed bytes per object: basicsize + headers */
    Py_ssize_t itemsize;
    int kind;
} Slot;

typedef struct {
    Py_ssize_t length;
    uintptr_t id;
    PyTypeObject *type; /* borrowed: the slot table holds the reference */
} Big;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    size_t mask;
    Py_ssize_t used;
    Big *heap;
    Py_ssize_t heap_len;
    Py_ssize_t top;
    Py_ssize_t min_length;
    Py_ssize_t objects;
} Tally;

static inline size_t
hash_type(PyTypeObject *tp)
{
    uint64_t h = (uint64_t)(uintptr_t)tp;
    h = (h >> 4) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 29);
}

static int
container_kind(PyTypeObject *tp)
{
    if (PyType_FastSubclass(tp, Py_TPFLAGS_DICT_SUBCLASS)) {
        return KIND_DICT;
    }
    if (PyType_FastSubclass(tp, Py_TPFLAGS_LIST_SUBCLASS)) {
        return KIND_LIST;
    }
    if (PyType_IsSubtype(tp, &PySet_Type) || PyType_IsSubtype(tp, &PyFrozenSet_Type)) {
        return KIND_SET;
    }
    if (deque_type != NULL && PyType_IsSubtype(tp, deque_type)) {
        return KIND_DEQUE;
    }
    return KIND_OTHER;
}

static void
fill_slot(Slot *s, PyTypeObject *tp)
{
    Py_INCREF(tp);
    s->type = tp;
    s->count = 0;
    s->bytes = 0;
    s->base = tp->tp_basicsize + GC_HEADER;
    if (PyType_HasFeature(tp, PREHEADER_FLAGS)) {
        s->base += 2 * (Py_ssize_t)sizeof(void *);
    }
    s->itemsize = tp->tp_itemsize;
    s->kind = container_kind(tp);
}

/* Double the table; returns -1 (and sets MemoryError) when out of memory. */
static int
grow(Tally *t)
{
    size_t old_size = t->mask + 1, new_mask = 2 * old_size - 1;
    Slot *fresh = PyMem_Calloc(new_mask + 1, sizeof(Slot));
    if (fresh == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < old_size; i++) {
        if (t->slots[i].type == NULL) {
            continue;
        }
        size_t j = hash_type(t->slots[i].type) & new_mask;
        while (fresh[j].type != NULL) {
            j = (j + 1) & new_mask;
        }
        fresh[j] = t->slots[i];
    }
    PyMem_Free(t->slots);
    t->slots = fresh;
    t->mask = new_mask;
    return 0;
}

static Slot *
find_slot(Tally *t, PyTypeObject *tp)
{
    size_t i = hash_type(tp) & t->mask;
    for (;;) {
        Slot *s = &t->slots[i];
        if (s->type == tp) {
            return s;
        }
        if (s->type == NULL) {
            break;
        }
        i = (i + 1) & t->mask;
    }
    /* Keep the load under a half so probes stay short. */
    if ((size_t)(t->used + 1) * 2 > t->mask + 1) {
        if (grow(t) < 0) {
            return NULL;
        }
        return find_slot(t, tp);
    }
    t->used++;
    fill_slot(&t->slots[i], tp);
    return &t->slots[i];
}

static Py_ssize_t
dict_extra(PyObject *obj, Py_ssize_t n)
{
    if (((PyDictObject *)obj)->ma_values != NULL) {
        return n * (Py_ssize_t)sizeof(void *);
    }
    if (n == 0) {
        return 0; /* empty dicts share one static key table */
    }
    Py_ssize_t size = 8;
    while ((size * 2) / 3 < n) {
        size *= 2;
    }
    Py_ssize_t index = size <= 0x80 ? 1 : size <= 0x8000 ? 2 : size <= 0x80000000LL ? 4 : 8;
    return DICT_KEYS_HEADER + size * index + ((size * 2) / 3) * DICT_ENTRY_BYTES;
}

/* Length and extra bytes of a container, read from the builtin C struct. */
static Py_ssize_t
container_length(PyObject *obj, int kind, Py_ssize_t *extra)
{
    Py_ssize_t n;
    switch (kind) {
    case KIND_DICT:
        n = ((PyDictObject *)obj)->ma_used;
        *extra = dict_extra(obj, n);
        return n;
    case KIND_LIST:
        *extra = ((PyListObject *)obj)->allocated * (Py_ssize_t)sizeof(void *);
        return Py_SIZE(obj);
    case KIND_SET: {
        PySetObject *so = (PySetObject *)obj;
        *extra = so->table == so->smalltable ? 0 : (so->mask + 1) * (Py_ssize_t)sizeof(setentry);
        return so->used;
    }
    default: /* KIND_DEQUE: a deque's ob_size is its length */
        n = Py_SIZE(obj);
        *extra = (n / DEQUE_BLOCK_ITEMS + 1) * DEQUE_BLOCK_BYTES;
        return n;
    }
}

static inline int
big_less(const Big *a, const Big *b)
{
    return a->length < b->length || (a->length == b->length && a->id < b->id);
}

static void
sift_down(Big *heap, Py_ssize_t len, Py_ssize_t i)
{
    for (;;) {
        Py_ssize_t child = 2 * i + 1, least = i;
        if (child < len && big_less(&heap[child], &heap[least])) {
            least = child;
        }
        if (child + 1 < len && big_less(&heap[child + 1], &heap[least])) {
            least = child + 1;
        }
        if (least == i) {
            return;
        }
        Big tmp = heap[i];
        heap[i] = heap[least];
        heap[least] = tmp;
        i = least;
    }
}

/* Keep the `top` biggest containers, ordered by (length, id) as Python does. */
static void
offer(Tally *t, Big item)
{
    if (t->heap_len < t->top) {
        Py_ssize_t i = t->heap_len++;
        t->heap[i] = item;
        while (i > 0 && big_less(&t->heap[i], &t->heap[(i - 1) / 2])) {
            Py_ssize_t parent = (i - 1) / 2;
            Big tmp = t->heap[i];
            t->heap[i] = t->heap[parent];
            t->heap[parent] = tmp;
            i = parent;
        }
    }
    else if (t->top > 0 && big_less(&t->heap[0], &item)) {
        t->heap[0] = item;
        sift_down(t->heap, t->heap_len, 0);
    }
}

static int
count_one(Tally *t, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    Slot *s = find_slot(t, tp);
    if (s == NULL) {
        return -1;
    }
    Py_ssize_t size = s->base;
    if (s->itemsize != 0) {
        Py_ssize_t n = Py_SIZE(obj);
        size += (n < 0 ? -n : n) * s->itemsize;
    }
    if (s->kind != KIND_OTHER) {
        Py_ssize_t extra = 0;
        Py_ssize_t n = container_length(obj, s->kind, &extra);
        size += extra;
        if (n >= t->min_length) {
            Big item = {n, (uintptr_t)obj, tp};
            offer(t, item);
        }
    }
    s->count++;
    s->bytes += size;
    t->objects++;
    return 0;
}

static void
tally_clear(Tally *t)
{
    if (t->slots != NULL) {
        for (size_t i = 0; i <= t->mask; i++) {
            Py_CLEAR(t->slots[i].type);
        }
        memset(t->slots, 0, (t->mask + 1) * sizeof(Slot));
    }
    t->used = 0;
    t->heap_len = 0;
    t->objects = 0;
}

static int
Tally_init(Tally *t, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"top", "min_length", NULL};
    Py_ssize_t top = 64, min_length = 64;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|nn:Tally", kwlist, &top, &min_length)) {
        return -1;
    }
    if (top < 0) {
        PyErr_SetString(PyExc_ValueError, "Tally: top must be >= 0");
        return -1;
    }
    tally_clear(t);
    PyMem_Free(t->slots);
    PyMem_Free(t->heap);
    t->slots = PyMem_Calloc(FIRST_TABLE_SIZE, sizeof(Slot));
    t->heap = PyMem_Calloc(top > 0 ? (size_t)top : 1, sizeof(Big));
    t->mask = FIRST_TABLE_SIZE - 1;
    if (t->slots == NULL || t->heap == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    t->top = top;
    t->min_length = min_length;
    return 0;
}

static void
Tally_dealloc(Tally *t)
{
    tally_clear(t);
    PyMem_Free(t->slots);
    PyMem_Free(t->heap);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

/* consume(objects, n): count and pop up to n items off the end of a list. */
static PyObject *
Tally_consume(Tally *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyList_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "consume(objects: list, n: int)");
        return NULL;
    }
    if (t->slots == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Tally was not initialised");
        return NULL;
    }
    PyObject *list = args[0];
    Py_ssize_t n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t size = PyList_GET_SIZE(list);
    Py_ssize_t stop = n >= size ? 0 : size - n;
    /* The size is re-read each time: dropping a reference can run a
     * finaliser, and the list must be consistent whenever that happens. */
    while ((size = PyList_GET_SIZE(list)) > stop) {
        /* Memory latency dominates: ask for an object's header a few
         * iterations before it is read, as freeing the list gets for free. */
        if (size > PREFETCH_AHEAD) {
            PREFETCH(PyList_GET_ITEM(list, size - 1 - PREFETCH_AHEAD));
        }
        PyObject *obj = PyList_GET_ITEM(list, size - 1);
        Py_SET_SIZE(list, size - 1);
        int err = count_one(t, obj);
        Py_DECREF(obj);
        if (err < 0) {
            return NULL;
        }
    }
    return PyLong_FromSsize_t(PyList_GET_SIZE(list));
}

static int
big_cmp_desc(const void *a, const void *b)
{
    const Big *x = a, *y = b;
    return big_less(x, y) ? 1 : big_less(y, x) ? -1 : 0;
}

/* Three parallel lists (types, counts, bytes), not a dict keyed by type:
 * hashing a type calls its metaclass's __hash__ (user code), and a metaclass
 * with __eq__ but no __hash__ makes its classes unhashable; the caller keys by
 * id().  No tuple per type either: freed small tuples stay on the
 * interpreter's free list, and a tuple taken from there was allocated before
 * any tracemalloc window opened, so it would have no allocation site. */
static PyObject *
build_types(Tally *t)
{
    PyObject *types = PyList_New(t->used), *counts = PyList_New(t->used);
    PyObject *bytes = PyList_New(t->used);
    if (types == NULL || counts == NULL || bytes == NULL) {
        goto fail;
    }
    Py_ssize_t k = 0;
    for (size_t i = 0; i <= t->mask && k < t->used; i++) {
        Slot *s = &t->slots[i];
        if (s->type == NULL) {
            continue;
        }
        PyObject *n = PyLong_FromSsize_t(s->count), *b = PyLong_FromSsize_t(s->bytes);
        if (n == NULL || b == NULL) {
            Py_XDECREF(n);
            Py_XDECREF(b);
            goto fail;
        }
        Py_INCREF(s->type);
        PyList_SET_ITEM(types, k, (PyObject *)s->type);
        PyList_SET_ITEM(counts, k, n);
        PyList_SET_ITEM(bytes, k, b);
        k++;
    }
    return Py_BuildValue("(NNN)", types, counts, bytes);
fail:
    Py_XDECREF(types);
    Py_XDECREF(counts);
    Py_XDECREF(bytes);
    return NULL;
}

static PyObject *
build_containers(Tally *t)
{
    qsort(t->heap, (size_t)t->heap_len, sizeof(Big), big_cmp_desc);
    PyObject *out = PyList_New(t->heap_len);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < t->heap_len; i++) {
        Big *b = &t->heap[i];
        PyObject *row = Py_BuildValue("(NOn)", PyLong_FromSize_t(b->id), (PyObject *)b->type,
                                      b->length);
        if (row == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, row);
    }
    return out;
}

/* result() -> ((types, counts, bytes), [(id, type, length)], objects); empties the tally. */
static PyObject *
Tally_result(Tally *t, PyObject *Py_UNUSED(ignored))
{
    if (t->slots == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Tally was not initialised");
        return NULL;
    }
    PyObject *types = build_types(t);
    PyObject *containers = types == NULL ? NULL : build_containers(t);
    PyObject *result = NULL;
    if (containers != NULL) {
        result = Py_BuildValue("(OOn)", types, containers, t->objects);
    }
    Py_XDECREF(types);
    Py_XDECREF(containers);
    tally_clear(t);
    return result;
}

static PyMethodDef Tally_methods[] = {
    {"consume", (PyCFunction)(void (*)(void))Tally_consume, METH_FASTCALL,
     "consume(objects, n) -> int: count and pop up to n items off the end of objects; "
     "returns how many remain."},
    {"result", (PyCFunction)Tally_result, METH_NOARGS,
     "result() -> (types, containers, objects), then forget everything."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TallyType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "leakguard._ccensus.Tally",
    .tp_basicsize = sizeof(Tally),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Tally(top=64, min_length=64): counts objects per type from chunks of a list.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Tally_init,
    .tp_dealloc = (destructor)Tally_dealloc,
    .tp_methods = Tally_methods,
};

static struct PyModuleDef ccensus_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "leakguard._ccensus",
    .m_doc = "The census hot loop: objects per type and the biggest containers.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__ccensus(void)
{
    if (PyType_Ready(&TallyType) < 0) {
        return NULL;
    }
    if (deque_type == NULL) {
        PyObject *collections = PyImport_ImportModule("_collections");
        if (collections == NULL) {
            return NULL;
        }
        PyObject *deque = PyObject_GetAttrString(collections, "deque");
        Py_DECREF(collections);
        if (deque == NULL) {
            return NULL;
        }
        if (!PyType_Check(deque)) {
            Py_DECREF(deque);
            PyErr_SetString(PyExc_ImportError, "collections.deque is not a type");
            return NULL;
        }
        deque_type = (PyTypeObject *)deque; /* kept for the life of the process */
    }
    PyObject *module = PyModule_Create(&ccensus_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&TallyType);
    if (PyModule_AddObject(module, "Tally", (PyObject *)&TallyType) < 0) {
        Py_DECREF(&TallyType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
