"""Reference extracts: the FINESS register of establishments and their yearly financial declarations."""
