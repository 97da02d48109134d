# SPDX-License-Identifier: Apache-2.0
"""Print requirements.txt with each lower bound made an exact pin.

``tox -e lower`` installs with these as constraints, so the unit tests run
on the oldest versions the project declares it works with::

    python tools/lower_constraints.py requirements.txt --output lower.txt
"""

import argparse
import re
import sys

BOUND = re.compile(r'^([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+)')


def pins(lines):
    for line in lines:
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        match = BOUND.match(line)
        if not match:
            sys.exit('no lower bound: %s' % line)
        yield '%s==%s' % match.groups()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('requirements')
    parser.add_argument('--output', default='-')
    args = parser.parse_args(argv)
    with open(args.requirements) as requirements:
        text = ''.join(pin + '\n' for pin in pins(requirements))
    if args.output == '-':
        sys.stdout.write(text)
    else:
        with open(args.output, 'w') as output:
            output.write(text)


if __name__ == '__main__':
    main(sys.argv[1:])
