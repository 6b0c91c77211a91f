# Unit tests: pausing the watcher (Private/Pause.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
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
