#!/usr/bin/env python3
"""Makes a newer snapshot from an older one, for the incremental benchmark.

usage: update.py OLD_DIR NEW_DIR MODE [FRACTION] [SEED]

MODE overlay  -- OLD_DIR's Packages and Sources with Packages.updates and Sources.updates (bookworm-updates,
                 from ../shared/scripts/debian-indexes) laid over them: a real update.
MODE security -- whole source packages picked at random until FRACTION (default 0.01) of the binaries are
                 covered get a new version (+deb12u1), as a stable or security update does; exact (=) relations
                 on them follow, nothing else changes.
MODE depends  -- like security, and each picked binary also gains a dependency (libc6 (>= 2.36)): a change
                 beyond the version, which every build environment reaching it must see.
"""
import os
import random
import re
import sys


def stanzas(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    return [s for s in text.split("\n\n") if s.strip()]


def field(stanza, name):
    m = re.search(r"^" + re.escape(name) + r": *(.*)$", stanza, re.M)
    return m.group(1).strip() if m else None


def write(path, items):
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n\n".join(s.strip("\n") for s in items) + "\n")


def main():
    old, new, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    fraction = float(sys.argv[4]) if len(sys.argv) > 4 else 0.01
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    os.makedirs(new, exist_ok=True)
    packages = stanzas(os.path.join(old, "Packages"))
    sources = stanzas(os.path.join(old, "Sources"))
    if mode == "overlay":
        for name, items in (("Packages", packages), ("Sources", sources)):
            updates = stanzas(os.path.join(old, name + ".updates"))
            index = {field(s, "Package"): i for i, s in enumerate(items)}
            for s in updates:
                key = field(s, "Package")
                if key in index:
                    items[index[key]] = s
                else:
                    items.append(s)
            write(os.path.join(new, name), items)
        print(f"overlay: {len(stanzas(os.path.join(old, 'Packages.updates')))} binaries replaced or added")
        return
    by_source = {}
    for i, s in enumerate(packages):
        src = (field(s, "Source") or field(s, "Package")).split(" ")[0]
        by_source.setdefault(src, []).append(i)
    names = list(by_source)
    rng.shuffle(names)
    picked, target = [], int(len(packages) * fraction)
    for src in names:
        if len(picked) >= target:
            break
        picked.extend(by_source[src])
    bumped = {}
    for i in picked:
        s = packages[i]
        name, version = field(s, "Package"), field(s, "Version")
        bumped[name] = (version, version + "+deb12u1")
        s = re.sub(r"^Version: .*$", "Version: " + version + "+deb12u1", s, flags=re.M)
        if mode == "depends":
            if re.search(r"^Depends: ", s, re.M):
                s = re.sub(r"^(Depends: .*)$", r"\1, libc6 (>= 2.36)", s, count=1, flags=re.M)
            else:
                s += "\nDepends: libc6 (>= 2.36)"
        packages[i] = s
    exact = re.compile(r"([a-z0-9][a-z0-9+.-]*)(:[a-z0-9]+)? \(= ([^)]+)\)")

    def follow(m):
        name, qualifier, version = m.group(1), m.group(2) or "", m.group(3)
        if name in bumped and bumped[name][0] == version:
            return f"{name}{qualifier} (= {bumped[name][1]})"
        return m.group(0)

    for i, s in enumerate(packages):
        packages[i] = re.sub(r"^((?:Pre-)?Depends|Breaks|Conflicts|Provides|Recommends|Suggests): .*$",
                             lambda m: exact.sub(follow, m.group(0)), s, flags=re.M)
    write(os.path.join(new, "Packages"), packages)
    write(os.path.join(new, "Sources"), sources)
    print(f"{mode}: {len(picked)} of {len(packages)} binaries from {len({(field(packages[i], 'Source') or field(packages[i], 'Package')).split(' ')[0] for i in picked})} source packages")


if __name__ == "__main__":
    main()
