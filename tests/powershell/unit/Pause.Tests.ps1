# Unit tests: pausing the watcher and backing off (Private/Pause.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Get-BackoffSeconds' {
    It 'doubles from the base per attempt and stops at the maximum' {
        InModuleScope WslPortProxy {
            @(1..6 | ForEach-Object { Get-BackoffSeconds -Attempt $_ -Base 30 -Maximum 300 }) | Should -Be @(30, 60, 120, 240, 300, 300)
            Get-BackoffSeconds -Attempt 1000 -Base 30 -Maximum 3600 | Should -Be 3600
            Get-BackoffSeconds -Attempt 3 -Base 30 -Maximum 10 | Should -Be 30   # never below the base
        }
    }
}

Describe 'Set-, Get-, Clear-WatcherPause' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Directory = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        New-Item -ItemType Directory -Path $script:Directory | Out-Null
    }
    AfterEach { Remove-SimulatedWindows }

    It 'records until when and the boot it belongs to; -Resume removes it' {
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $until = Set-WatcherPause -Directory $Directory -Minutes 10
            $until.Kind | Should -Be 'Utc'
            (Get-WatcherPause -Directory $Directory) | Should -Be $until
            Clear-WatcherPause -Directory $Directory | Should -BeTrue
            Get-WatcherPause -Directory $Directory | Should -BeNullOrEmpty
            Clear-WatcherPause -Directory $Directory | Should -BeFalse
        }
    }

    It 'ignores an unreadable pause file, and -WhatIf writes none' {
        Set-Content -LiteralPath (Join-Path $script:Directory 'pause.json') -Value '{not json'
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            Get-WatcherPause -Directory $Directory | Should -BeNullOrEmpty
            Remove-Item -LiteralPath (Join-Path $Directory 'pause.json')
            $null = Set-WatcherPause -Directory $Directory -Minutes 5 -WhatIf
            Test-Path -LiteralPath (Join-Path $Directory 'pause.json') | Should -BeFalse
        }
    }

    It 'Wait-WatcherPause returns as soon as the pause file is gone' {
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $until = Set-WatcherPause -Directory $Directory -Minutes 10
            Mock Start-Sleep { Remove-Item -LiteralPath (Join-Path $Directory 'pause.json') }
            Wait-WatcherPause -Directory $Directory -Until $until
            Should -Invoke Start-Sleep -Times 1 -Exactly
        }
    }
}
