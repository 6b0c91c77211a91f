# Unit tests: failures with exit codes, system folders, native programs and elevation
# (Private/Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'ConvertTo-CommandLine' {
    It 'quotes <Case>' -ForEach @(
        @{ Case = 'nothing plain'; Arguments = @('events', '--format', 'json'); Line = 'events --format json' }
        @{ Case = 'spaces'; Arguments = @('--format', '{{json .}}'); Line = '--format "{{json .}}"' }
        @{ Case = 'quotes and trailing backslashes'; Arguments = @('a "b"', 'C:\x y\'); Line = '"a \"b\"" "C:\x y\\"' }
        @{ Case = 'an empty argument'; Arguments = @('a', ''); Line = 'a ""' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Arguments = $Arguments; Line = $Line } {
            param($Arguments, $Line)
            ConvertTo-CommandLine -ArgumentList $Arguments | Should -BeExactly $Line
        }
    }

    It 'makes an empty command line of no arguments (the one copy left; the dropped one refused them)' {
        InModuleScope WslPortProxy {
            ConvertTo-CommandLine -ArgumentList @() | Should -BeExactly ''
        }
    }
}

Describe 'Common helpers' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'New-Failure carries the exit code and the ErrorId; anything else maps to 1' {
        InModuleScope WslPortProxy {
            $failure = New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address' -Category ResourceUnavailable
            $failure.FullyQualifiedErrorId | Should -Be 'WslPortProxy.NoWslAddress'
            $failure.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 4
            try { throw 'plain' } catch { Get-FailureExitCode -ErrorRecord $_ | Should -Be 1 }
        }
    }

    It 'Get-EnvironmentFolder reads the folders from HKLM, never from the environment' {
        $saved = @{ SystemRoot = $env:SystemRoot; ProgramFiles = $env:ProgramFiles; ProgramData = $env:ProgramData; SystemDrive = $env:SystemDrive }
        $env:SystemRoot = '/elsewhere/Windows'; $env:ProgramFiles = '/elsewhere/pf'; $env:ProgramData = '/elsewhere/pd'; $env:SystemDrive = '/elsewhere'
        try {
            InModuleScope WslPortProxy {
                Get-EnvironmentFolder -Name 'SystemRoot' | Should -Be $global:WslppSim.SystemRoot
                Get-EnvironmentFolder -Name 'SystemDrive' | Should -Be $global:WslppSim.Root
                Get-EnvironmentFolder -Name 'ProgramFiles' | Should -Be $global:WslppSim.ProgramFiles
                Get-EnvironmentFolder -Name 'ProgramData' | Should -Be $global:WslppSim.ProgramData   # %SystemDrive% from SystemRoot
            }
        }
        finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
    }

    It 'Get-EnvironmentFolder takes a ProgramData that names a drive as it is, and fails (exit 1) for any other variable or a missing value' {
        $key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList'
        Set-SimRegistry -Key $key -Name 'ProgramData' -Value @{ Type = 'ExpandString'; Data = 'D:\Data' }
        InModuleScope WslPortProxy { Get-EnvironmentFolder -Name 'ProgramData' | Should -Be 'D:\Data' }
        Set-SimRegistry -Key $key -Name 'ProgramData' -Value @{ Type = 'ExpandString'; Data = '%USERPROFILE%\Data' }
        InModuleScope WslPortProxy {
            { Get-EnvironmentFolder -Name 'ProgramData' } | Should -Throw -ErrorId 'WslPortProxy.SystemFolderMissing' `
                -ExpectedMessage "The folder ProgramData cannot be read from HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList (ProgramData); WslPortProxy does not take it from environment variables, which the task's account can set."
        }
        Set-SimRegistry -Key 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion' -Name 'ProgramFilesDir' -Value $null
        InModuleScope WslPortProxy { { Get-EnvironmentFolder -Name 'ProgramFiles' } | Should -Throw -ErrorId 'WslPortProxy.SystemFolderMissing' }
        Set-SimRegistry -Key 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -Name 'SystemRoot' -Value $null
        InModuleScope WslPortProxy {
            { Get-EnvironmentFolder -Name 'SystemDrive' } | Should -Throw -ExpectedMessage 'The folder SystemDrive cannot be read from HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion (SystemRoot)*'
            try { Get-EnvironmentFolder -Name 'SystemRoot' } catch { Get-FailureExitCode -ErrorRecord $_ | Should -Be 1 }
        }
    }

    It 'Get-RegistryText returns an empty text for a key that does not exist, expanded or not' {
        InModuleScope WslPortProxy {
            Get-RegistryText -Key 'HKLM:\SOFTWARE\WslPortProxyTest\Missing' -Name 'X' | Should -Be ''
            Get-RegistryText -Key 'HKLM:\SOFTWARE\WslPortProxyTest\Missing' -Name 'X' -Unexpanded | Should -Be ''
        }
    }

    It 'Get-SystemProgram finds System32 programs only, never PATH' {
        InModuleScope WslPortProxy {
            Get-SystemProgram -Name 'netsh.exe' | Should -Be (Join-Path (Join-Path $env:SystemRoot 'System32') 'netsh.exe')
            { Get-SystemProgram -Name 'pwsh' } | Should -Throw -ErrorId 'WslPortProxy.SystemProgramMissing'
        }
    }

    It 'Find-Program takes the first candidate that exists, never a program on PATH (which any writable PATH folder could plant)' {
        InModuleScope WslPortProxy {
            $netsh = Get-System32Path -Name 'netsh.exe'
            Find-Program -Name 'no-such-program' -Candidate @('/nonexistent/x', $netsh) | Should -Be $netsh
            (Get-Command -Name 'pwsh' -CommandType Application | Select-Object -First 1) | Should -Not -BeNullOrEmpty -Because 'pwsh is on PATH'
            Find-Program -Name 'pwsh' | Should -BeNullOrEmpty
            Find-Program -Name 'no-such-program' | Should -BeNullOrEmpty
        }
    }

    It 'Invoke-NativeCommand returns the exit code and both streams, and never throws for stderr' {
        InModuleScope WslPortProxy {
            $ErrorActionPreference = 'Stop'
            $sh = (Get-Command -Name 'sh' -CommandType Application | Select-Object -First 1).Source
            $result = Invoke-NativeCommand -FilePath $sh -ArgumentList @('-c', 'echo out; echo err 1>&2; exit 3')
            $result.ExitCode | Should -Be 3
            # Both streams, but in no promised order: the two pipes are read apart, and under load
            # stderr's line can come first (it did once in CI).
            @($result.Output | Sort-Object) | Should -Be @('err', 'out')
        }
    }

    It 'Invoke-NativeCommand ends a program that hangs, with every process it started, and fails with exit code 14' {
        InModuleScope WslPortProxy {
            $sh = (Get-Command -Name 'sh' -CommandType Application | Select-Object -First 1).Source
            $marker = Join-Path $TestDrive 'child.pid'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            { Invoke-NativeCommand -FilePath $sh -ArgumentList @('-c', "sleep 300 & echo `$! > '$marker'; wait") -TimeoutSeconds 2 } |
                Should -Throw -ErrorId 'WslPortProxy.CommandTimedOut' -ExpectedMessage "sh did not finish within 2 s (sh -c sleep 300 & echo `$! > '$marker'; wait), so it was ended with the processes it started."
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
            $child = [int] (Get-Content -LiteralPath $marker)
            # Ended: gone, or a zombie (state Z) where nobody reaps it (a container without an init).
            $stat = Join-Path (Join-Path '/proc' $child) 'stat'
            $state = if (Test-Path -LiteralPath $stat) { ((Get-Content -LiteralPath $stat -Raw) -split '\) ')[1].Substring(0, 1) } else { 'gone' }
            $state | Should -BeIn @('gone', 'Z') -Because 'taskkill /T ended the child too'
            @(Get-SimCall -Program 'taskkill') | Should -HaveCount 1
        }
    }

    It 'Invoke-NativeCommand passes each argument as one word, spaces, quotes and all' {
        InModuleScope WslPortProxy {
            $sh = (Get-Command -Name 'sh' -CommandType Application | Select-Object -First 1).Source
            $result = Invoke-NativeCommand -FilePath $sh -ArgumentList @('-c', 'for a in "$@"; do echo "[$a]"; done', 'x', 'two words', 'say "hi"', '', 'back\slash\')
            $result.Output | Should -Be @('[two words]', '[say "hi"]', '[]', '[back\slash\]')
            ConvertTo-CommandLine -ArgumentList @('a', 'b c', 'd"e', '', 'f\', 'g\"h') | Should -BeExactly 'a "b c" "d\"e" "" f\ "g\\\"h"'
        }
    }

    It 'Test-Elevated reads the integrity level from whoami, and fails when whoami does' {
        InModuleScope WslPortProxy {
            Test-Elevated | Should -BeTrue
            Write-SimState 'whoami.json' @{ elevated = $false }
            Test-Elevated | Should -BeFalse
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 5; Output = @('Access is denied.') } }
            { Test-Elevated } | Should -Throw -ErrorId 'WslPortProxy.WhoamiFailed' -ExpectedMessage 'whoami.exe /groups failed (exit 5): Access is denied.'
        }
    }
}
