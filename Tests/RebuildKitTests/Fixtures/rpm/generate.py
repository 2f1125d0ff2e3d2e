# Writes the RPM fixtures (a binary and a source repository: repodata/repomd.xml + primary.xml[.gz]).
# Usage: python3 generate.py DIR  (DIR = this directory). The output is committed; rerun after editing.
import gzip, hashlib, os, sys
root = sys.argv[1]
def entry(e):
    if isinstance(e, str): e = (e,)
    name = e[0]
    if len(e) == 1: return f'<rpm:entry name="{name}"/>'
    flags, evr = e[1], e[2]
    epoch = '0'
    if ':' in evr: epoch, evr = evr.split(':', 1)
    ver, _, rel = evr.partition('-')
    relattr = f' rel="{rel}"' if rel else ''
    return f'<rpm:entry name="{name}" flags="{flags}" epoch="{epoch}" ver="{ver}"{relattr}/>'
def package(name, evr, arch='x86_64', provides=(), requires=(), conflicts=(), files=(), recommends=()):
    epoch = '0'
    if ':' in evr: epoch, evr = evr.split(':', 1)
    ver, rel = evr.split('-')
    prov = [(name, 'EQ', f'{epoch}:{ver}-{rel}')] + list(provides) if arch != 'src' else list(provides)
    out = [f'<package type="rpm">', f'  <name>{name}</name>', f'  <arch>{arch}</arch>',
           f'  <version epoch="{epoch}" ver="{ver}" rel="{rel}"/>',
           f'  <checksum type="sha256" pkgid="YES">{hashlib.sha256((name+evr+arch).encode()).hexdigest()}</checksum>',
           f'  <summary>{name}</summary>', f'  <location href="Packages/{name}-{ver}-{rel}.{arch}.rpm"/>', '  <format>',
           '    <rpm:license>MIT</rpm:license>']
    for tag, items in (('provides', prov), ('requires', requires), ('conflicts', conflicts), ('recommends', recommends)):
        if items:
            out.append(f'    <rpm:{tag}>')
            out += ['      ' + entry(e) for e in items]
            out.append(f'    </rpm:{tag}>')
    out += [f'    <file>{f}</file>' for f in files]
    out += ['  </format>', '</package>']
    return '\n'.join(out)
def primary(pkgs):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" '
            f'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{len(pkgs)}">\n' + '\n'.join(pkgs) + '\n</metadata>\n')
def repomd(directory, href, data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(f'{directory}/repodata', exist_ok=True)
    with open(f'{directory}/{href}', 'wb') as f: f.write(data)
    with open(f'{directory}/repodata/repomd.xml', 'w') as f:
        f.write(f'''<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1711111111</revision>
  <data type="primary">
    <checksum type="sha256">{digest}</checksum>
    <open-checksum type="sha256">{hashlib.sha256(gzip.decompress(data) if href.endswith('.gz') else data).hexdigest()}</open-checksum>
    <location href="{href}"/>
    <timestamp>1711111111</timestamp>
    <size>{len(data)}</size>
  </data>
</repomd>
''')
binaries = [
    package('glibc', '2.39-5.fc40', provides=[('libc.so.6()(64bit)',)], files=['/usr/lib64/libc.so.6']),
    package('bash', '5.2.26-1.fc40', provides=[('/bin/sh',)], requires=[('glibc', 'GE', '2.39')], files=['/usr/bin/bash']),
    package('coreutils', '9.4-6.fc40', requires=[('libc.so.6()(64bit)',)], recommends=[('python3',)]),
    package('patch', '2.7.6-24.fc40', requires=[('glibc',)]),
    package('rpm-build', '4.19.1-1.fc40', requires=[('bash',), ('coreutils',), ('patch',), ('/bin/sh',)]),
    package('gcc', '14.0.1-1.fc40', requires=[('glibc-devel',), ('binutils', 'GE', '2.40')]),
    package('glibc-devel', '2.39-5.fc40', requires=[('glibc', 'EQ', '2.39-5.fc40')]),
    package('binutils', '2.41-34.fc40'),
    package('python3', '3.12.2-2.fc40', requires=[('python3-libs', 'EQ', '3.12.2-2.fc40')], provides=[('python(abi)', 'EQ', '3.12')]),
    package('python3-libs', '3.12.2-2.fc40'),
    package('python3-pytest', '7.4.3-5.fc40', arch='noarch', requires=[('python(abi)', 'EQ', '3.12')]),
    package('python3-nose', '1.3.7-40.fc40', arch='noarch', requires=[('python(abi)', 'EQ', '3.12')]),
    package('openssl-devel', '1:3.2.1-2.fc40', provides=[('pkgconfig(openssl)', 'EQ', '3.2.1')], conflicts=[('libressl-devel',)]),
    package('libressl-devel', '3.8.2-1.fc40', provides=[('pkgconfig(openssl)', 'EQ', '3.8.2')], conflicts=[('openssl-devel',)]),
    package('old-lib', '1.0-1.fc40'),
    package('old-lib', '2.0-1.fc40'),
    package('java-17-openjdk-devel', '1:17.0.10-1.fc40', provides=[('java-devel', 'EQ', '1:17')]),
    package('java-21-openjdk-devel', '1:21.0.2-1.fc40', provides=[('java-devel', 'EQ', '1:21')]),
    package('broken-dep', '1.0-1.fc40', requires=[('nonexistent-lib',)]),
    package('aarch64-only', '1.0-1.fc40', arch='aarch64'),
]
sources = [
    package('hello', '2.12.1-1.fc40', arch='src', requires=[('gcc',)]),
    package('pyfoo', '1.0-1.fc40', arch='src', requires=[('python3', 'GE', '3.12'), ('(python3-pytest or python3-nose)',)]),
    package('sslapp', '1.0-1.fc40', arch='src', requires=[('pkgconfig(openssl)', 'GE', '3.0')]),
    package('clash', '1.0-1.fc40', arch='src', requires=[('openssl-devel',), ('libressl-devel',)]),
    package('needsold', '1.0-1.fc40', arch='src', requires=[('old-lib', 'LT', '2.0')]),
    package('cond', '1.0-1.fc40', arch='src', requires=[('python3',), ('(python3-pytest if python3)',)]),
    package('javaapp', '1.0-1.fc40', arch='src', requires=[('java-devel', 'GE', '1:21')]),
    package('brokenbr', '1.0-1.fc40', arch='src', requires=[('broken-dep',)]),
    package('missing', '1.0-1.fc40', arch='src', requires=[('no-such-package',)]),
    package('wrongarch', '1.0-1.fc40', arch='src', requires=[('aarch64-only',)]),
]
repomd(f'{root}/binary', 'repodata/primary.xml.gz', gzip.compress(primary(binaries).encode(), mtime=0))
repomd(f'{root}/source', 'repodata/primary.xml', primary(sources).encode())
