"""Op families: small Functions on raw arrays, each followed by its public function."""
