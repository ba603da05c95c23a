package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/stripeshop/stripeshop/migrations"
)

// Migrator applies the embedded migrations. golang-migrate takes a Postgres
// advisory lock, so replicas starting together apply each file once.
type Migrator struct {
	m    *migrate.Migrate
	pool *pgxpool.Pool
}

// NewMigrator prepares migrations over pool.
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	driver, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{})
	if err != nil {
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", driver)
	if err != nil {
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	return &Migrator{m: m, pool: pool}, nil
}

// MigrateUp applies every embedded migration not yet applied to pool's database.
func MigrateUp(pool *pgxpool.Pool) error {
	m, err := NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Up applies every migration not yet applied: ours, then River's (the job
// queue's tables, through River's own migrator).
func (m *Migrator) Up() error {
	if err := ignoreNoChange(m.m.Up()); err != nil {
		return err
	}
	return migrateRiver(context.Background(), m.pool)
}

// MigrateTo moves the shop's schema up or down to version (River's tables
// are left as they are).
func (m *Migrator) MigrateTo(version uint) error { return ignoreNoChange(m.m.Migrate(version)) }

// Down rolls back the most recent migration.
func (m *Migrator) Down() error { return ignoreNoChange(m.m.Steps(-1)) }

// DownAll rolls back every migration.
func (m *Migrator) DownAll() error { return ignoreNoChange(m.m.Down()) }

// Version reports the applied version; 0 when none is.
func (m *Migrator) Version() (version uint, dirty bool, err error) {
	v, d, err := m.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return v, d, err
}

// SchemaVersion reads the migration the database is at where golang-migrate
// records it, without a migrator and its lock: cheap enough for a readiness
// probe. A database never migrated answers an error.
func SchemaVersion(ctx context.Context, db DBTX) (version uint, dirty bool, err error) {
	var v int64
	if err := db.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &dirty); err != nil {
		return 0, false, fmt.Errorf("read the schema version: %w", translate(err))
	}
	return uint(v), dirty, nil
}

// Latest is the newest migration embedded in the binary.
func Latest() (uint, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return 0, err
	}
	defer src.Close()
	v, err := src.First()
	if err != nil {
		return 0, err
	}
	for {
		next, err := src.Next(v)
		if err != nil {
			return v, nil
		}
		v = next
	}
}

func ignoreNoChange(err error) error {
	if errors.Is(err, migrate.ErrNoChange) {
		return nil
	}
	return err
}

// Close releases the connection the migrator holds; the pool stays open.
func (m *Migrator) Close() error {
	srcErr, dbErr := m.m.Close()
	return errors.Join(srcErr, dbErr)
}
