"""Operations: doctor, data versions, monitoring."""
