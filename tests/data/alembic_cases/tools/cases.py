import json
R = lambda i, down=(), labels=(), deps=(), doc=None: [i, list(down), list(labels), list(deps), doc or ("rev " + i[:4])]
cases = []
# 1 linear
A, B, C, D = "1a2b3c4d5e6f", "2b3c4d5e6f70", "3c4d5e6f7081", "4d5e6f708192"
cases.append(dict(name="linear", revs=[R(A, doc="create account"), R(B, [A], doc="add email"), R(C, [B], doc="add index"), R(D, [C], doc="add phone")], cmds=[
    ["history"], ["history", "-v"], ["heads"], ["heads", "-v"], ["branches"], ["current"],
    ["upgrade", "+1"], ["current"], ["upgrade", "+2"], ["history", "-i"], ["upgrade", "+5"], ["upgrade", "head"],
    ["downgrade", "-1"], ["downgrade", "-5"], ["downgrade", "+1"], ["upgrade", "-1"], ["downgrade", "base"], ["upgrade", "2b3c"],
    ["upgrade", "head-1"], ["downgrade", "head-3"], ["upgrade", "base+2"], ["upgrade", "3c4d+1"], ["downgrade", "1a2b"],
    ["upgrade", "4d5e-2"], ["upgrade", "zz"], ["upgrade", "3c"], ["upgrade", "head+1"], ["downgrade", "3c4d"],
    ["show", "head"], ["show", "2b3c"], ["show", "base"], ["show", "-1"], ["show", "current"], ["show", "head-1"], ["show", "heads"],
    ["history", "-r", "2b3c:"], ["history", "-r", ":2b3c"], ["history", "-r", "2b3c:3c4d"], ["history", "--rev-range=-2:"],
    ["history", "-r", "current:"], ["history", "-r", ":current"], ["history", "-r", "base:base"], ["history", "-r", "3c4d:2b3c"],
    ["history", "-r", "1a2b:+2"], ["history", "-r", "x"], ["history", "--rev-range=-1:current"], ["history", "-r", "heads:"],
    ["stamp", "head"], ["stamp", "base"], ["stamp", "2b3c"], ["stamp", "4d5e"], ["stamp", "1a2b"], ["stamp", "--purge", "3c4d"],
    ["downgrade", "base"], ["upgrade", "heads+1"], ["upgrade", "heads"], ["downgrade", "heads-2"], ["upgrade", "1a2b6"],
]))
# 2 reference branch graph
r0, r1, s1, s2, au, mg = "727178216963", "64dd9a01f257", "aa1af58ca28f", "814c54c7a386", "a0b47dc6f698", "589a82b98fc2"
base2 = [R(r0, doc="create account table"), R(r1, [r0], doc="add email column"), R(s1, [r1], ["shop"], doc="add orders table"),
         R(s2, [s1], doc="add order status"), R(au, [r1], doc="add audit table")]
cases.append(dict(name="twoheads", revs=base2, cmds=[
    ["history"], ["history", "-v"], ["heads"], ["heads", "-v"], ["branches"], ["branches", "-v"],
    ["upgrade", "head"], ["upgrade", "shop@head"], ["current"], ["current", "-v"], ["upgrade", "heads"], ["current"], ["history", "-i"],
    ["upgrade", "+1"], ["downgrade", "shop@-1"], ["current"], ["upgrade", "shop@+1"], ["downgrade", "a0b4@64dd"], ["current"],
    ["upgrade", "heads"], ["downgrade", "shop@base"], ["current"], ["upgrade", "heads"], ["downgrade", "64dd"], ["current"],
    ["upgrade", "shop@+2"], ["upgrade", "a0b4"], ["downgrade", "shop@727"], ["downgrade", "a0b4@aa1a"], ["downgrade", "727178216963"],
    ["upgrade", "64dd+1"], ["upgrade", "7271+2"], ["show", "head"], ["show", "heads"], ["show", "shop@head"], ["show", "shop"],
    ["show", "64dd"], ["history", "-r", "shop@base:"], ["history", "-r", ":shop@head"], ["history", "-r", "64dd:"], ["history", "-r", "a0b4:shop@head"],
    ["history", "-r", "shop@-1:"], ["upgrade", "shop@aa1a"], ["upgrade", "shop@a0b4"], ["downgrade", "base"],
    ["stamp", "a0b4", "aa1a"], ["stamp", "heads"], ["stamp", "64dd"], ["stamp", "base"], ["stamp", "head"], ["stamp", "shop@head"],
    ["stamp", "--purge", "aa1af58ca28f"], ["stamp", "heads"], ["downgrade", "-1"],
]))
cases.append(dict(name="merge2", revs=base2 + [R(mg, [s2, au], doc="merge shop and audit")], cmds=[
    ["history"], ["history", "-v"], ["heads"], ["branches"], ["show", "589a"],
    ["upgrade", "heads"], ["current"], ["history", "-i"], ["downgrade", "-1"], ["downgrade", "64dd"], ["current"], ["upgrade", "shop@head"], ["current"],
    ["upgrade", "heads"], ["downgrade", "shop@-1"], ["current"], ["downgrade", "base"], ["upgrade", "a0b4"], ["upgrade", "head"], ["downgrade", "814c"],
    ["current"], ["downgrade", "aa1a"], ["current"], ["downgrade", "-2"], ["upgrade", "head-1"], ["history", "-r", "64dd:head"], ["history", "--rev-range=-1:"],
    ["stamp", "a0b4", "aa1a"], ["stamp", "heads"], ["stamp", "64dd"], ["stamp", "base"], ["stamp", "a0b4", "814c"], ["stamp", "589a"],
    ["upgrade", "shop@+1"], ["stamp", "aa1a", "a0b4"], ["upgrade", "shop@+1"], ["upgrade", "+1"], ["show", "current"],
]))
# 3 merge of three, plus multi-root and labels
p0, x1, y1, z1, m3, t1 = "ab0000000001", "ab1100000002", "cd2200000003", "ef3300000004", "f00000000005", "f11100000006"
cases.append(dict(name="merge3", revs=[R(p0, doc="root"), R(x1, [p0], ["xb"], doc="x"), R(y1, [p0], ["yb"], doc="y"), R(z1, [p0], doc="z"),
        R(m3, [x1, y1, z1], doc="merge three"), R(t1, [m3], doc="after merge")], cmds=[
    ["history"], ["heads"], ["branches"], ["show", "f000"], ["upgrade", "xb@head"], ["current"], ["upgrade", "heads"], ["current"],
    ["downgrade", "f000"], ["current"], ["downgrade", "ab00"], ["current"], ["upgrade", "yb@+1"], ["upgrade", "z@+1"], ["current"], ["upgrade", "ab"],
    ["upgrade", "ef33"], ["upgrade", "+1"], ["upgrade", "xb@+2"], ["current"], ["downgrade", "xb@-1"], ["current"], ["downgrade", "base"],
    ["history", "-r", "xb@base:xb@head"], ["history", "-r", "ab11:"], ["stamp", "ab11", "cd22", "ef33"], ["stamp", "f000"], ["stamp", "xb@ab00"],
    ["upgrade", "xb@cd22"], ["upgrade", "yb@ab11"],
]))
# 4 depends_on across roots
n1, n2, a1, a2, a3 = "0c1b235c520a", "05d3a62e3a16", "77d3ebb99569", "64a9cc0ee60c", "3c837bf0435b"
cases.append(dict(name="depends", revs=[R(a1, doc="create account"), R(n1, [], ["networking"], doc="create network"), R(n2, [n1], doc="add port"),
        R(a2, [a1], [], [n1], doc="account network link"), R(a3, [a2], doc="index")], cmds=[
    ["history"], ["history", "-v"], ["heads"], ["heads", "--resolve-dependencies"], ["heads", "-v"], ["branches"],
    ["upgrade", "77d3"], ["upgrade", "64a9"], ["current"], ["current", "-v"], ["history", "-i"], ["upgrade", "heads"], ["current"],
    ["downgrade", "networking@base"], ["current"], ["upgrade", "heads"], ["downgrade", "0c1b"], ["current"], ["downgrade", "base"],
    ["upgrade", "networking@head"], ["upgrade", "64a9"], ["current"], ["downgrade", "77d3"], ["current"], ["upgrade", "head"],
    ["stamp", "64a9"], ["current"], ["stamp", "heads"], ["stamp", "base"], ["stamp", "networking@head"], ["upgrade", "networking@+1"],
    ["show", "64a9"], ["history", "-r", "networking@base:"], ["downgrade", "networking@-1"], ["current"],
]))
# 5 effective head: dependency on an otherwise head revision
e0, e1, e2, f1 = "e00000000001", "e10000000002", "e20000000003", "fa0000000004"
cases.append(dict(name="effective", revs=[R(e0, doc="root"), R(e1, [e0], doc="one"), R(f1, [e0], [], [e1], doc="other branch, needs one"),
        R(e2, [f1], doc="two")], cmds=[
    ["history"], ["heads"], ["heads", "--resolve-dependencies"], ["branches"], ["upgrade", "head"], ["upgrade", "heads"], ["current"],
    ["history", "-i"], ["downgrade", "e100"], ["current"], ["downgrade", "-1"], ["current"], ["downgrade", "base"], ["upgrade", "fa00"], ["current"],
    ["show", "e100"], ["history", "-v"],
]))
# 6 ambiguous prefix and labelled root with two chains
g0, g1, g2, h1, h2 = "abcd1111aaaa", "abcd2222bbbb", "abce3333cccc", "bd0000000001", "bd0000000002"
cases.append(dict(name="prefix", revs=[R(g0, [], ["alpha"], doc="alpha root"), R(g1, [g0], doc="alpha two"), R(g2, [g1], doc="alpha three"),
        R(h1, [], ["beta"], doc="beta root"), R(h2, [h1], doc="beta two")], cmds=[
    ["history"], ["heads"], ["upgrade", "abcd"], ["upgrade", "abc"], ["upgrade", "alpha@head"], ["current"], ["upgrade", "beta@+1"], ["current"],
    ["upgrade", "+1"], ["upgrade", "beta@head"], ["downgrade", "alpha@-2"], ["current"], ["downgrade", "beta@base"], ["current"],
    ["downgrade", "alpha@abcd2"], ["upgrade", "beta@abce"], ["upgrade", "alph@head"], ["upgrade", "alpha@zzzz"], ["show", "alpha"],
    ["upgrade", "heads"], ["downgrade", "-1"], ["current"], ["stamp", "alpha@base"], ["current"], ["stamp", "beta@head", "alpha@head"],
    ["history", "-r", "alpha@base:alpha@head"], ["history", "-r", "beta@-1:"], ["upgrade", "alpha@+1"],
]))
# 7 errors through branches: invalid downgrade target, walks past the ends, heads-N, labels that do not own a revision
cases.append(dict(name="errors", revs=base2, cmds=[
    ["upgrade", "shop@head"], ["upgrade", "64dd"], ["upgrade", "7271"], ["downgrade", "a0b4"], ["downgrade", "shop@+1"],
    ["upgrade", "shop@a0b4"], ["show", "shop@a0b4"], ["upgrade", "heads"], ["upgrade", "aa1a"], ["upgrade", "heads-1"], ["downgrade", "head-1"],
    ["history", "-r", "shop@head:a0b4"], ["upgrade", "shop@-1"], ["downgrade", "shop@+1"], ["downgrade", "814c+1"], ["upgrade", "base-1"],
    ["history", "-r", "current:heads"], ["history", "-r", "shop@base:shop@head"], ["show", "heads"], ["show", "shop@base"], ["history", "-r", "shop@-1:shop@head"],
]))
json.dump(cases, open("/tmp/ac/cases.json", "w"), indent=0)
