/* The fast path's flow line reader, compiled: what parse.py's `run_line` pattern, `_words_refused` and
 * `_line_words` do for one flow line, in one call.
 *
 * Why it exists: a large model is mostly flow lines, and matching each one and turning the match into
 * an S.FlowLine, in Python, was about half of the parse. docs/performance.md ("The flow line reader,
 * compiled") has the figures. Everything else stays in Python.
 *
 * The contract, held by tests/test_flowline_compiled.py: for any text and offset, read_flow_line either
 * returns exactly what the Python reader returns (the same S.FlowLine, field for field, and where it
 * ends), or None, and then the Python reader reads the line as before. So None is always a safe
 * answer, and it is the answer to anything out of the ordinary: a character outside ASCII in the line,
 * a number below the smallest normal float (the Python reader reports it), a unit that is a keyword, a
 * number or line over its length limit, or no flow line at all.
 *
 * The line it reads is run_line's: spacing, a newline, spacing, then
 *     KIND NAME NUMBER UNIT [[*|/] UNIT] [of NAME] [from|to|with NAME(.NAME)*]
 *     [{ NEWLINE group|stage NAME NEWLINE }]
 * and then spacing and a newline, which is not read. Every token is taken whole (the pattern's
 * possessive runs), so one pass from left to right reads what the pattern reads: an optional part is
 * taken when it is all there, and otherwise the position goes back to where the part started.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <string.h>

/* The same limits as pcf_dsl/limits.py (MAX_NUMBER_LENGTH, MAX_EXPRESSION_LENGTH); a line near them is
 * left to the Python reader, which reports them. parse.py checks that the two agree. */
#define MAX_NUMBER_LENGTH 100
#define MAX_EXPRESSION_LENGTH 4000

#define SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\f')
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
#define NAME_START(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || (c) == '_')
#define NAME_PART(c) (NAME_START(c) || DIGIT(c))

static const char *const KIND_WORDS[] = {"input", "product", "waste", "loss", "emit"};
static const char *const SOURCE_WORDS[] = {"from", "to", "with"};
static const char *const ATTRIBUTE_WORDS[] = {"group", "stage"};
/* Words that end a unit instead of being a second one (the pattern's negative lookahead). */
static const char *const CLAUSE_WORDS[] = {"of", "from", "to", "with", "cutoff"};

/* The words as Python strings, made once: the Python reader's are equal to them. */
static PyObject *kinds[5], *sources[3], *attributes[2], *op_times, *op_per, *op_juxt;

/* The text's characters, read the same way whatever its width (1, 2 or 4 bytes a character). A
 * character outside ASCII is never spacing, a digit, a letter or punctuation here: a line with one is
 * not read, and goes back to the Python reader. */
typedef struct {
    const void *data;
    int kind;
} Text;

#define CH(p) PyUnicode_READ(s.kind, s.data, (p))

/* The end of the run of spacing at p (p itself if there is none). */
static inline Py_ssize_t
spacing(Text s, Py_ssize_t p, Py_ssize_t n)
{
    while (p < n && SPACE(CH(p)))
        p++;
    return p;
}

/* The end of the NAME at p, or -1. */
static inline Py_ssize_t
name_end(Text s, Py_ssize_t p, Py_ssize_t n)
{
    if (p >= n || !NAME_START(CH(p)))
        return -1;
    p++;
    while (p < n && NAME_PART(CH(p)))
        p++;
    return p;
}

/* The end of the NUMBER at p (\d+(\.\d+)?([eE][+-]?\d+)?, taken whole), or -1. */
static inline Py_ssize_t
number_end(Text s, Py_ssize_t p, Py_ssize_t n)
{
    Py_ssize_t q;
    if (p >= n || !DIGIT(CH(p)))
        return -1;
    while (p < n && DIGIT(CH(p)))
        p++;
    if (p + 1 < n && CH(p) == '.' && DIGIT(CH(p + 1))) {
        p += 2;
        while (p < n && DIGIT(CH(p)))
            p++;
    }
    if (p < n && (CH(p) == 'e' || CH(p) == 'E')) {
        q = p + 1;
        if (q < n && (CH(q) == '+' || CH(q) == '-'))
            q++;
        if (q < n && DIGIT(CH(q))) {
            while (q < n && DIGIT(CH(q)))
                q++;
            p = q;
        }
    }
    return p;
}

/* Whether `word` is written at p (not whether it ends there). */
static inline int
written(Text s, Py_ssize_t p, Py_ssize_t n, const char *word, Py_ssize_t length)
{
    if (p + length > n)
        return 0;
    for (Py_ssize_t i = 0; i < length; i++)
        if (CH(p + i) != (Py_UCS4)(unsigned char)word[i])
            return 0;
    return 1;
}

/* Which of `words` is written at p and followed by spacing (the index), or -1; *after is where the
 * spacing after it ends. */
static inline int
keyword(Text s, Py_ssize_t p, Py_ssize_t n, const char *const *words, int count, Py_ssize_t *after)
{
    for (int i = 0; i < count; i++) {
        Py_ssize_t length = (Py_ssize_t)strlen(words[i]);
        if (written(s, p, n, words[i], length)) {
            Py_ssize_t q = spacing(s, p + length, n);
            if (q == p + length)
                return -1;  /* the words have no common prefix: no other one is written here */
            *after = q;
            return i;
        }
    }
    return -1;
}

/* Whether a clause's word stands whole at p, where the pattern does not take a second unit. */
static inline int
clause_word(Text s, Py_ssize_t p, Py_ssize_t n)
{
    for (int i = 0; i < 5; i++) {
        Py_ssize_t length = (Py_ssize_t)strlen(CLAUSE_WORDS[i]);
        if (written(s, p, n, CLAUSE_WORDS[i], length) && !(p + length < n && NAME_PART(CH(p + length))))
            return 1;
    }
    return 0;
}

/* The string text[from:to], as the names dict keeps it (names.setdefault(word, word)): a new reference. */
static PyObject *
shared_word(PyObject *text, Py_ssize_t from, Py_ssize_t to, PyObject *names)
{
    PyObject *word = PyUnicode_Substring(text, from, to), *kept;
    if (word == NULL)
        return NULL;
    kept = PyDict_SetDefault(names, word, word);
    Py_XINCREF(kept);
    Py_DECREF(word);
    return kept;
}

static PyObject *
column(Py_ssize_t offset, Py_ssize_t at)
{
    return PyLong_FromSsize_t(offset - at);
}

/* Two fields: the columns of the word text[from:to], counted from `at`; or None and None for a word
 * the line does not have (from < 0). 0, or -1 with an exception set. */
static int
word_columns(PyObject **fields, Py_ssize_t from, Py_ssize_t to, Py_ssize_t at)
{
    if (from < 0) {
        fields[0] = Py_NewRef(Py_None);
        fields[1] = Py_NewRef(Py_None);
        return 0;
    }
    if ((fields[0] = column(from, at)) == NULL || (fields[1] = column(to, at)) == NULL)
        return -1;
    return 0;
}

/* The source's dotted parts, as _line_words keeps them in `dotted`: a new reference. */
static PyObject *
source_parts(PyObject *text, Text s, Py_ssize_t from, Py_ssize_t to, PyObject *names, PyObject *dotted)
{
    PyObject *ref = PyUnicode_Substring(text, from, to), *parts;
    Py_ssize_t count = 1, start = from, part = 0;
    if (ref == NULL)
        return NULL;
    parts = PyDict_GetItemWithError(dotted, ref);
    if (parts != NULL) {
        Py_INCREF(parts);
        Py_DECREF(ref);
        return parts;
    }
    if (PyErr_Occurred())
        goto failed;
    for (Py_ssize_t i = from; i < to; i++)
        count += CH(i) == '.';
    parts = PyTuple_New(count);
    if (parts == NULL)
        goto failed;
    for (Py_ssize_t i = from; i <= to; i++) {
        if (i == to || CH(i) == '.') {
            PyObject *word = (count == 1) ? PyDict_SetDefault(names, ref, ref) : NULL;
            if (count == 1) {
                if (word == NULL)
                    goto failed_parts;
                Py_INCREF(word);
            } else if ((word = shared_word(text, start, i, names)) == NULL)
                goto failed_parts;
            PyTuple_SET_ITEM(parts, part++, word);
            start = i + 1;
        }
    }
    if (PyDict_SetItem(dotted, ref, parts) < 0)
        goto failed_parts;
    Py_DECREF(ref);
    return parts;
failed_parts:
    Py_DECREF(parts);
failed:
    Py_DECREF(ref);
    return NULL;
}

/* Whether the number text[from:to] has a `-` (in its exponent). */
static inline int
number_has_minus(Text s, Py_ssize_t from, Py_ssize_t to)
{
    for (Py_ssize_t i = from; i < to; i++)
        if (CH(i) == '-')
            return 1;
    return 0;
}

#define FIELDS 27

/* read_flow_line(text, pos, line, names, dotted, file, flow_line_type, keywords)
 *
 * The flow line after the newline at or after `pos` (after spacing only), numbered `line`, as
 * (S.FlowLine, its end, the line it ends on, that line's offset); or None: see the top of this file. */
static PyObject *
read_flow_line(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *text, *names, *dotted, *file, *keywords, *fields[FIELDS] = {NULL}, *flow = NULL, *result = NULL;
    PyTypeObject *type;
    Py_ssize_t n, pos, line, p, q, r, at, end, name_from, name_to, num_from, num_to, u1_from, u1_to;
    Py_ssize_t u2_from = -1, u2_to = -1, of_from = -1, of_to = -1, ref_from = -1, ref_to = -1, block_from;
    Py_ssize_t value_from = -1, value_to = -1, first_newline = -1, second_newline = -1;
    int kind, op = -1, source = -1, attribute = -1;
    Text s;

    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "read_flow_line takes 8 arguments");
        return NULL;
    }
    text = args[0];
    names = args[3];
    dotted = args[4];
    file = args[5];
    type = (PyTypeObject *)args[6];
    keywords = args[7];
    if (!PyUnicode_Check(text) || !PyDict_Check(names) || !PyDict_Check(dotted) || !PyType_Check(args[6])
        || !PyType_IsSubtype(type, &PyTuple_Type) || !PyDict_Check(keywords)) {
        PyErr_SetString(PyExc_TypeError, "read_flow_line: (str, int, int, dict, dict, file, tuple type, dict)");
        return NULL;
    }
    pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred())
        return NULL;
    line = PyLong_AsSsize_t(args[2]);
    if (line == -1 && PyErr_Occurred())
        return NULL;
    s.data = PyUnicode_DATA(text);
    s.kind = PyUnicode_KIND(text);
    n = PyUnicode_GET_LENGTH(text);
    if (pos < 0 || pos > n)
        Py_RETURN_NONE;

    /* Spacing, the newline that ends the line before, spacing. */
    p = spacing(s, pos, n);
    if (p >= n || CH(p) != '\n')
        Py_RETURN_NONE;
    at = p;
    p = spacing(s, p + 1, n);
    /* KIND NAME NUMBER UNIT, each but the last followed by spacing. */
    if ((kind = keyword(s, p, n, KIND_WORDS, 5, &p)) < 0)
        Py_RETURN_NONE;
    name_from = p;
    if ((name_to = name_end(s, p, n)) < 0 || (p = spacing(s, name_to, n)) == name_to)
        Py_RETURN_NONE;
    num_from = p;
    if ((num_to = number_end(s, p, n)) < 0 || (p = spacing(s, num_to, n)) == num_to)
        Py_RETURN_NONE;
    u1_from = p;
    if ((u1_to = name_end(s, p, n)) < 0)
        Py_RETURN_NONE;
    p = u1_to;
    /* A second unit, after `*`, `/` or spacing, unless a clause's word comes there. */
    q = spacing(s, p, n);
    if (q < n && (CH(q) == '*' || CH(q) == '/')) {
        op = CH(q) == '*' ? 0 : 1;
        r = spacing(s, q + 1, n);
    } else if (q > p) {
        op = 2;
        r = q;
    }
    if (op >= 0) {
        Py_ssize_t e = clause_word(s, r, n) ? -1 : name_end(s, r, n);
        if (e >= 0) {
            u2_from = r;
            u2_to = p = e;
        } else
            op = -1;
    }
    /* `of NAME` */
    q = spacing(s, p, n);
    if (q > p && written(s, q, n, "of", 2) && (r = spacing(s, q + 2, n)) > q + 2) {
        Py_ssize_t e = name_end(s, r, n);
        if (e >= 0) {
            of_from = r;
            of_to = p = e;
        }
    }
    /* `from|to|with NAME(.NAME)*` */
    q = spacing(s, p, n);
    if (q > p && (source = keyword(s, q, n, SOURCE_WORDS, 3, &r)) >= 0) {
        Py_ssize_t e = name_end(s, r, n);
        if (e >= 0) {
            Py_ssize_t more;
            while (e < n && CH(e) == '.' && (more = name_end(s, e + 1, n)) >= 0)
                e = more;
            ref_from = r;
            ref_to = p = e;
        } else
            source = -1;
    }
    /* The one-line block: `{`, then `group NAME` or `stage NAME` on a line of its own, then `}`. */
    block_from = p;
    q = spacing(s, p, n);
    if (q < n && CH(q) == '{' && (r = spacing(s, q + 1, n)) < n && CH(r) == '\n') {
        Py_ssize_t newline = r, e;
        r = spacing(s, r + 1, n);
        if ((attribute = keyword(s, r, n, ATTRIBUTE_WORDS, 2, &r)) >= 0 && (e = name_end(s, r, n)) >= 0
            && (q = spacing(s, e, n)) < n && CH(q) == '\n' && (q = spacing(s, q + 1, n)) < n && CH(q) == '}') {
            first_newline = newline;
            value_from = r;
            value_to = e;
            second_newline = spacing(s, e, n);
            p = q + 1;
        } else
            attribute = -1;
    }
    /* The line ends here: spacing, then a newline (not read). */
    q = spacing(s, p, n);
    if (q >= n || CH(q) != '\n')
        Py_RETURN_NONE;
    end = p;
    /* What the Python reader refuses or reports is its own to do: the line goes back to it. */
    if (num_to - num_from > MAX_NUMBER_LENGTH || end - pos > MAX_EXPRESSION_LENGTH)
        Py_RETURN_NONE;
    if (number_has_minus(s, num_from, num_to)) {
        /* A negative exponent: a number below the smallest normal float is the Python reader's to
         * report (E305); any other reads the same either way. */
        char digits[MAX_NUMBER_LENGTH + 1];
        double value;
        for (Py_ssize_t i = num_from; i < num_to; i++)
            digits[i - num_from] = (char)CH(i);
        digits[num_to - num_from] = '\0';
        value = PyOS_string_to_double(digits, NULL, NULL);
        if (value == -1.0 && PyErr_Occurred())
            return NULL;
        if (value < DBL_MIN)
            Py_RETURN_NONE;
    }

    /* The S.FlowLine, field for field as _line_words makes it (S.FlowLine.FIELDS). */
    if ((fields[3] = shared_word(text, u1_from, u1_to, names)) == NULL)
        goto done;
    if (op >= 0 && (fields[5] = shared_word(text, u2_from, u2_to, names)) == NULL)
        goto done;
    r = PyDict_Contains(keywords, fields[3]);
    if (r == 0 && op >= 0)
        r = PyDict_Contains(keywords, fields[5]);
    if (r != 0) {
        if (r > 0)
            result = Py_NewRef(Py_None);
        goto done;
    }
    fields[0] = Py_NewRef(kinds[kind]);
    if ((fields[1] = shared_word(text, name_from, name_to, names)) == NULL
        || (fields[2] = PyUnicode_Substring(text, num_from, num_to)) == NULL)
        goto done;
    fields[4] = Py_NewRef(op == 0 ? op_times : op == 1 ? op_per : op == 2 ? op_juxt : Py_None);
    if (op < 0)
        fields[5] = Py_NewRef(Py_None);
    if (of_from >= 0) {
        if ((fields[6] = shared_word(text, of_from, of_to, names)) == NULL)
            goto done;
    } else
        fields[6] = Py_NewRef(Py_None);
    if (source >= 0) {
        fields[7] = Py_NewRef(sources[source]);
        if ((fields[8] = source_parts(text, s, ref_from, ref_to, names, dotted)) == NULL)
            goto done;
    } else {
        fields[7] = Py_NewRef(Py_None);
        fields[8] = Py_NewRef(Py_None);
    }
    if (attribute >= 0) {
        fields[9] = Py_NewRef(attributes[attribute]);
        if ((fields[10] = shared_word(text, value_from, value_to, names)) == NULL)
            goto done;
    } else {
        fields[9] = Py_NewRef(Py_None);
        fields[10] = Py_NewRef(Py_None);
    }
    fields[11] = Py_NewRef(file);
    if ((fields[12] = PyLong_FromSsize_t(line)) == NULL || (fields[13] = column(name_from, at)) == NULL
        || (fields[14] = column(name_to, at)) == NULL || (fields[15] = column(num_from, at)) == NULL
        || (fields[16] = column(u1_from, at)) == NULL || (fields[17] = column(u1_to, at)) == NULL)
        goto done;
    /* Without a block, the line's end; with one, where the block starts, and the word's columns on the
     * line after the flow's. */
    if (word_columns(fields + 18, u2_from, u2_to, at) < 0 || word_columns(fields + 20, of_from, of_to, at) < 0
        || word_columns(fields + 22, ref_from, ref_to, at) < 0
        || (fields[24] = column(attribute >= 0 ? block_from : end, at)) == NULL
        || word_columns(fields + 25, value_from, value_to, first_newline) < 0)
        goto done;
    if ((flow = type->tp_alloc(type, FIELDS)) == NULL)
        goto done;
    for (int i = 0; i < FIELDS; i++) {
        PyTuple_SET_ITEM(flow, i, fields[i]);
        fields[i] = NULL;
    }
    if (attribute >= 0)
        result = Py_BuildValue("(Nnnn)", flow, end, line + 2, second_newline + 1);
    else
        result = Py_BuildValue("(Nnnn)", flow, end, line, at + 1);
done:
    for (int i = 0; i < FIELDS; i++)
        Py_XDECREF(fields[i]);
    return result;
}

static PyMethodDef methods[] = {
    {"read_flow_line", (PyCFunction)(void (*)(void))read_flow_line, METH_FASTCALL,
     "read_flow_line(text, pos, line, names, dotted, file, flow_line_type, keywords) -> "
     "(flow line, end, line, line start) or None\n\n"
     "The flow line after the newline at or after pos, as parse.py's Python reader reads it; None where "
     "that reader must read it (see pcf_dsl/_flowline.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef definition = {
    PyModuleDef_HEAD_INIT, "_flowline", "The fast path's flow line reader, compiled (see _flowline.c).", -1,
    methods, NULL, NULL, NULL, NULL,
};

static int
words(PyObject **into, const char *const *from, int count)
{
    for (int i = 0; i < count; i++)
        if ((into[i] = PyUnicode_InternFromString(from[i])) == NULL)
            return -1;
    return 0;
}

PyMODINIT_FUNC
PyInit__flowline(void)
{
    PyObject *module;
    if (words(kinds, KIND_WORDS, 5) < 0 || words(sources, SOURCE_WORDS, 3) < 0
        || words(attributes, ATTRIBUTE_WORDS, 2) < 0 || (op_times = PyUnicode_InternFromString("*")) == NULL
        || (op_per = PyUnicode_InternFromString("/")) == NULL
        || (op_juxt = PyUnicode_InternFromString("juxt")) == NULL)
        return NULL;
    if ((module = PyModule_Create(&definition)) == NULL)
        return NULL;
    if (PyModule_AddIntConstant(module, "MAX_NUMBER_LENGTH", MAX_NUMBER_LENGTH) < 0
        || PyModule_AddIntConstant(module, "MAX_EXPRESSION_LENGTH", MAX_EXPRESSION_LENGTH) < 0
#ifdef PCF_SOURCE_SHA256
        /* The build's hash of this file: parse.py does not use a module built from another version. */
        || PyModule_AddStringConstant(module, "SOURCE_SHA256", PCF_SOURCE_SHA256) < 0
#endif
    ) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
